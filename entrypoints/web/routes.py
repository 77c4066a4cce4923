"""The web app's routes: sign-in by a mailed link, sign-out, the signed-in home page, and
each invite's page.

Each route parses the form or the cookie, calls one front door, and renders a page
(``entrypoints.web.signed`` has what they share: sessions, CSRF, the doors).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from application.access import NotVisibleError
from application.front_doors import FrontDoors
from application.projections.queries import InvalidCursorError
from application.sessions.front_door import SignInUnavailableError
from application.vocabulary import InvalidLinkError, Principal, Scope
from entrypoints.api.state import ApiState
from entrypoints.web.invite_page import charts, happenings, when
from entrypoints.web.pages import page
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


@router.get("/")
def home(request: Request, session: SessionCookie = None) -> Response:
    """The signed-in home page; the sign-in page for anyone else."""
    current = signed_in(request, session)
    if current is None:
        return to_sign_in()
    principal, front = current.principal, doors(request)
    settings = request.app.state.api.container.settings()
    context = {
        **shown(current),
        "admin": principal.kind is Scope.ADMIN,
        "drop_box": settings.create_address,
    }
    if principal.kind is Scope.ADMIN:
        return page("home.html.j2", statistics=front.reading.views.system_statistics(), **context)
    return page("home.html.j2", invites=_invites(front, principal), **context)


def _invites(doors: FrontDoors, principal: Principal) -> list[dict[str, object]]:
    listed = doors.reading.views.organizer_invites(str(principal.subject), sort="start", limit=200)
    return list(listed.items)


@router.get("/invites/{invite_id}")
def invite_page(
    request: Request,
    invite_id: str,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    session: SessionCookie = None,
) -> Response:
    """One invite: its details, history, charts and attendees, to its organizer or an admin."""
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
    try:
        attendees = front.reading.views.attendees(invite, cursor, limit=PAGE)
    except InvalidCursorError:
        return page("not_found.html.j2", status=404, **signed)
    path = f"/invites/{invite}"
    return page(
        "invite.html.j2",
        invite=summary,
        starts=when(summary.get("start"), summary.get("timezone")),
        ends=when(summary.get("end"), summary.get("timezone")),
        held=front.reading.held_for_review(invite),
        history=happenings(front.reading.history(str(invite))),
        charts=charts(front.reading.views.statistics(invite)),
        attendees=attendees.items,
        first_page=path + "#attendees" if cursor else None,
        next_page=f"{path}?{urlencode({'cursor': attendees.cursor})}#attendees"
        if attendees.cursor
        else None,
        **signed,
    )


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
    return page("check_mail.html.j2", address=address.strip(), minutes=15)


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
