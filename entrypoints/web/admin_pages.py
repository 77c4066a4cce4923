"""What the Administration's pages share: who manages an organizer, the organizer's page
(shown again with a form's problem), and the context every administration page passes.

Who manages whom is decided in one place, ``application.admin.authority``; what a principal
may not manage is the same 404 page as what does not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from application.access import NotVisibleError
from application.admin.authority import check_manages, managed_domain
from application.front_doors import FrontDoors
from application.sessions.front_door import SignedInAs
from application.vocabulary import Scope, address_problem, normalize_address
from entrypoints.web.pages import page
from entrypoints.web.signed import acting, doors, not_ours, shown, signed_in, to_sign_in

PAGE = 50


def admin_context(current: SignedInAs) -> dict[str, Any]:
    """What every administration page shows: the signed-in context, and whether the
    administrator-only pages are in the navigation."""
    return {**shown(current), "is_admin": managed_domain(current.principal) is None}


def administrator(
    request: Request, session: str | None, csrf: str | None = None
) -> SignedInAs | Response:
    """Return who signs in if an administrator (with the form's CSRF token checked when
    ``csrf`` is given: a POST); else the page to answer with (anyone else: not found)."""
    current = signed_in(request, session) if csrf is None else acting(request, session, csrf)
    if current is None:
        return to_sign_in() if csrf is None else not_ours()
    if current.principal.kind is not Scope.ADMIN:
        return page("not_found.html.j2", status=404, **shown(current))
    return current


def organizer_page(
    request: Request,
    current: SignedInAs,
    address: str,
    *,
    message: str | None = None,
    problem: str | None = None,
) -> Response:
    """Return the organizer's page: standing, limits, review, totals, invitations (with a
    badge for those holding an update for review) and the forms; 404 unless managed."""
    who = managed(current, address)
    if who is None:
        return page("not_found.html.j2", status=404, **shown(current))
    front = doors(request)
    record = front.admin.organizers.find(who)
    invites = front.reading.views.organizer_invites(who, limit=PAGE)
    ids = [str(item["invite"]) for item in invites.items]
    held = {str(invite) for invite in front.reading.held_among([UUID(i) for i in ids])}
    return page(
        "admin_organizer.html.j2",
        status=400 if problem else 200,
        organizer=organizer_row(front, who, record),
        record=record,
        review="default"
        if record is None or record.review_updates is None
        else ("on" if record.review_updates else "off"),
        invites=invites.items,
        held=held,
        more_invites=invites.cursor is not None,
        path=organizer_path(who),
        message=message,
        problem=problem,
        **admin_context(current),
    )


def managed(current: SignedInAs, address: str) -> str | None:
    """Return the organizer's normalized address if the principal manages them; else None
    (no address at all, or not theirs: the same 404 either way)."""
    who = normalize_address(address)
    if address_problem(who) is not None:
        return None
    try:
        check_manages(current.principal, who)
    except NotVisibleError:
        return None
    return who


def organizer_row(front: FrontDoors, address: str, record: Any = None) -> dict[str, Any]:
    """Return an organizer's totals (the views) and standing and limits (the registry; an
    organizer with no record there is allowed, unlimited)."""
    record = record if record is not None else front.admin.organizers.find(address)
    statistics = front.reading.views.organizer_statistics(address)
    return {
        **statistics,
        "address": address,
        "path": organizer_path(address),
        "standing": str(record.standing) if record is not None else "allowed",
        "suspension_reason": record.suspension_reason if record is not None else None,
        "max_events": record.max_events if record is not None else None,
        "max_recipients": record.max_recipients if record is not None else None,
    }


def organizer_path(address: str) -> str:
    """Return the path of the organizer's administration page."""
    return "/admin/organizers/" + quote(address, safe="@")
