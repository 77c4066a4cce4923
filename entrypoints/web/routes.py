"""The web app's routes: sign-in by a mailed link, sign-out, and each invite's page (the
home page is ``entrypoints.web.home``).

Each route parses the form or the cookie, calls one front door, and renders a page
(``entrypoints.web.signed`` has what they share: sessions, CSRF, the doors).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from application.access import NotVisibleError, sees_addresses
from application.projections.queries import STATUSES, InvalidCursorError
from application.sessions.front_door import SignInUnavailableError
from application.vocabulary import InvalidLinkError
from entrypoints.api.state import ApiState
from entrypoints.web.actions import invite_panel
from entrypoints.web.invite_page import charts, happenings, when
from entrypoints.web.pages import page, scripted_page
from entrypoints.web.signed import (
    COOKIE,
    SessionCookie,
    doors,
    not_ours,
    now,
    secure,
    shown,
    signed_in,
    to_sign_in,
)

router = APIRouter(include_in_schema=False)
PAGE = 50  # attendees per page of the invite page's table


@router.get("/invites/{invite_id}")
def invite_page(
    request: Request,
    invite_id: str,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=254)] = None,
    session: SessionCookie = None,
) -> Response:
    """One invite: its details, history, charts and attendees, to its organizer or an admin.

    The attendee table is filtered by ``status`` and by the start of the address (``q``,
    only for those who see addresses); the filters are kept in the paging links.
    """
    current = signed_in(request, session)
    if current is None:
        return to_sign_in()
    signed, front = shown(current), doors(request)
    try:
        invite = UUID(invite_id)
        summary = front.reading.summary_for(current.principal, invite)
    except (ValueError, NotVisibleError):
        # The same page for "no such invite" and "not yours": nobody learns another's exists.
        return page("not_found.html.j2", status=404, **signed)
    searchable = sees_addresses(current.principal, summary["organizer"])
    # An unknown status or a search by those who see masked addresses filters nothing.
    filters = {
        "status": status if status in STATUSES else "",
        "q": (q or "").strip().lower() if searchable else "",
    }
    try:
        attendees = front.reading.attendees_of(
            current.principal,
            summary,
            cursor=cursor,
            limit=PAGE,
            status=filters["status"] or None,
            prefix=filters["q"] or None,
        )
    except InvalidCursorError:
        return page("not_found.html.j2", status=404, **signed)
    path = f"/invites/{invite}"
    kept = {name: value for name, value in filters.items() if value}
    # The copy buttons of its links are the app's own script (copy.js): never inline.
    return scripted_page(
        "invite.html.j2",
        invite=summary,
        starts=when(summary.get("start"), summary.get("timezone")),
        ends=when(summary.get("end"), summary.get("timezone")),
        held=front.reading.held_for_review(invite),
        history=happenings(front.reading.history_of(invite)),
        charts=charts(front.reading.views.statistics(invite)),
        # A domain's owner reads its invites, never the people invited (as the API shows them).
        attendees=attendees.items,
        first_page=_listed(path, kept) if cursor else None,
        next_page=_listed(path, {**kept, "cursor": attendees.cursor}) if attendees.cursor else None,
        statuses=STATUSES,
        filters=filters,
        searchable=searchable,
        unfiltered=_listed(path, {}) if kept else None,
        **invite_panel(request, current.principal, invite, summary["organizer"]),
        **signed,
    )


def _listed(path: str, query: dict[str, str]) -> str:
    """Return the link to the invite page's attendee table with ``query``."""
    return f"{path}?{urlencode(query)}#attendees" if query else f"{path}#attendees"


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    """The form that asks for the address to mail a sign-in link to."""
    return page("sign_in.html.j2", available=doors(request).sessions.available)


@router.post("/sign-in")
def request_link(request: Request, address: Annotated[str, Form(max_length=254)]) -> Response:
    """Mail a sign-in link if the address may sign in; the page is the same either way."""
    state: ApiState = request.app.state.api
    state.limit_ip(request)
    try:
        state.doors.sessions.request_link(address, now())
    except SignInUnavailableError:
        return page("sign_in.html.j2", status=503, available=False)
    settings = state.container.settings()
    # Local mail stays in a folder on this machine: say where, or nobody finds the link.
    kept_in = str(settings.outbox_path) if settings.mailer == "outbox" else None
    return page("check_mail.html.j2", address=address.strip(), minutes=15, kept_in=kept_in)


@router.get("/sign-in/{token}")
def confirm(request: Request, token: str) -> Response:
    """Ask to confirm: mail scanners follow links, so only the form's POST signs in."""
    try:
        address = doors(request).sessions.address_of(token, now())
    except InvalidLinkError as error:
        return _refused(error)
    return page("confirm.html.j2", address=address, token=token)


@router.post("/sign-in/{token}")
def sign_in(request: Request, token: str) -> Response:
    """Use the link once, open a session, and go home."""
    try:
        signed = doors(request).sessions.sign_in(token, now())
    except InvalidLinkError as error:
        return _refused(error)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        signed.secret,
        expires=signed.expires,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )
    return response


@router.post("/sign-out")
def sign_out(
    request: Request,
    csrf: Annotated[str, Form(max_length=128)] = "",
    session: SessionCookie = None,
) -> Response:
    """End the session (its form token proves the request came from its own page)."""
    sessions = doors(request).sessions
    if session is not None and sessions.csrf_valid(session, csrf):
        sessions.sign_out(session, now())
    elif session is not None:
        return not_ours()
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure(request))
    return response


def _refused(error: ValueError) -> Response:
    reason = str(error)
    return page(
        "refused.html.j2",
        status=400,
        title="That link does not work",
        reason=reason[:1].upper() + reason[1:] + ".",
    )
