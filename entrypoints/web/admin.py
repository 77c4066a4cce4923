"""The web app's Administration, under /admin: organizers with their statistics, each
organizer's page, and the invitations; for administrators only, API keys and the health of
sending (``admin_keys``).

Administrators see every organizer; a domain's owner sees and manages only the organizers
of their domain (``application.admin.authority`` decides, once, for every page and form).
The changes to an organizer are in ``admin_changes``; what the pages share, in
``admin_pages``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from application.access import NotVisibleError
from application.admin.authority import managed_domain
from application.front_doors import FrontDoors
from application.projections.queries import InvalidCursorError
from entrypoints.web import admin_changes, admin_keys, admin_suppressions
from entrypoints.web.admin_pages import PAGE, admin_context, organizer_page, organizer_row
from entrypoints.web.pages import page
from entrypoints.web.signed import SessionCookie, doors, shown, signed_in, to_sign_in

router = APIRouter(prefix="/admin", include_in_schema=False)
router.include_router(admin_changes.router)
router.include_router(admin_keys.router)
router.include_router(admin_suppressions.router)
# What a change just did, shown once on the page it redirects to; fixed words only, so
# nothing from the request is ever echoed back.
DONE = {
    "suspended": "The organizer is suspended: their messages are refused.",
    "allowed": "The organizer is allowed again.",
    "limits": "The limits are saved.",
    "review": "The review switch is saved.",
    "blocked": "The recipient no longer receives this organizer's invitations.",
    "unblocked": "The recipient's block is lifted.",
}


@router.get("")
def organizers(
    request: Request,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    session: SessionCookie = None,
) -> Response:
    """Organizers (of the owner's domain, or all for an administrator) with their totals."""
    current = signed_in(request, session)
    if current is None:
        return to_sign_in()
    front = doors(request)
    try:
        domain = managed_domain(current.principal)
        listed = front.reading.views.organizers(domain=domain, cursor=cursor, limit=PAGE)
    except (NotVisibleError, InvalidCursorError):
        return page("not_found.html.j2", status=404, **shown(current))
    rows = [organizer_row(front, str(item["organizer"])) for item in listed.items]
    return page(
        "admin.html.j2",
        domain=domain,
        organizers=rows,
        statistics=_totals(front, domain),
        next_page=f"/admin?{urlencode({'cursor': listed.cursor})}" if listed.cursor else None,
        first_page="/admin" if cursor else None,
        **admin_context(current),
    )


@router.get("/invites")
def domain_invites(
    request: Request,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    session: SessionCookie = None,
) -> Response:
    """The invites of the owner's domain, or every invite for an administrator, newest
    change first."""
    current = signed_in(request, session)
    if current is None:
        return to_sign_in()
    front = doors(request)
    try:
        domain = managed_domain(current.principal)
        views = front.reading.views
        listed = (
            views.all_invites(cursor=cursor, limit=PAGE)
            if domain is None
            else views.domain_invites(domain, cursor=cursor, limit=PAGE)
        )
    except (NotVisibleError, InvalidCursorError):
        return page("not_found.html.j2", status=404, **shown(current))
    return page(
        "admin_invites.html.j2",
        domain=domain,
        invites=listed.items,
        next_page=f"/admin/invites?{urlencode({'cursor': listed.cursor})}"
        if listed.cursor
        else None,
        **admin_context(current),
    )


@router.get("/organizers/{address}")
def organizer(
    request: Request,
    address: str,
    done: Annotated[str | None, Query(max_length=20)] = None,
    session: SessionCookie = None,
) -> Response:
    """One organizer: standing, limits, review, totals, invites, and the forms that change them."""
    current = signed_in(request, session)
    if current is None:
        return to_sign_in()
    return organizer_page(request, current, address, message=DONE.get(done or ""))


def _totals(front: FrontDoors, domain: str | None) -> dict[str, Any]:
    views = front.reading.views
    return views.domain_statistics(domain) if domain else views.system_statistics()
