"""The public upcoming page of an organizer or a domain, and its "send me the invitation" form.

The page is no open index of everyone's events: its address carries a signature
(``Links.upcoming_signature``) that only the organizer's (or the domain owner's) home page
shows, and anything else is the same 404. Its forms have no session, so no CSRF token: what
guards them is that signature, the per-address rate limit the API's landing link has, and a
honeypot field people leave empty. Sending is the landing use case, with the invite's own
landing signature; the answer never tells whether the address had the invitation already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from application.front_doors import FrontDoors
from application.links.landing import LandingOutcome
from application.projections.queries import InvalidCursorError
from entrypoints.api.problems import ProblemError
from entrypoints.api.state import ApiState
from entrypoints.web.home import Cursor, Read, Search, collect, is_upcoming, matches
from entrypoints.web.invite_page import when
from entrypoints.web.pages import page, scripted_page
from entrypoints.web.signed import doors, now

router = APIRouter(include_in_schema=False)
PAGE = 50  # invites per page

Who = Annotated[str, Path(max_length=254)]
Signature = Annotated[str | None, Query(max_length=256)]


@dataclass(frozen=True)
class Event:
    """One upcoming invitation as the public page shows it."""

    invite: str
    title: str
    when: str
    location: str | None
    organizer: str | None  # the organizer's name, when their calendar gave one


@router.get("/upcoming/{who}")
def upcoming_page(
    request: Request,
    who: Who,
    sig: Signature = None,
    q: Search = "",
    cursor: Cursor = None,
) -> Response:
    """The organizer's or domain's invitations still to come, soonest first, with a search."""
    front, whose = doors(request), who.strip().lower()
    if not front.links.upcoming_signature_matches(whose, sig):
        return _missing()
    try:
        listed = collect(_reader(front, whose), matches(q), cursor)
    except InvalidCursorError:
        return _missing()
    here = _path(whose)
    kept = {"sig": sig or ""}
    return scripted_page(
        "upcoming.html.j2",
        who=whose,
        here=here,
        sig=sig,
        q=q.strip(),
        kept=kept,
        events=[_event(item) for item in listed.items],
        next_page=f"{here}?{urlencode({**kept, 'q': q.strip(), 'cursor': listed.cursor})}"
        if listed.cursor
        else None,
        first_page=f"{here}?{urlencode(kept)}" if cursor else None,
    )


@router.post("/upcoming/{who}/invites/{invite_id}")
def send_me(
    request: Request,
    who: Who,
    invite_id: str,
    sig: Annotated[str, Form(max_length=256)] = "",
    address: Annotated[str, Form(max_length=254)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    website: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    """Send the invitation to the address the visitor gave (the landing use case)."""
    state: ApiState = request.app.state.api
    try:
        state.limit_ip(request)
    except ProblemError as error:
        answer = _outcome("Too many requests", "Too many requests came from here: " + error.detail)
        answer.status_code = 429
        answer.headers.update(error.headers)
        return answer
    front, whose = state.doors, who.strip().lower()
    if not front.links.upcoming_signature_matches(whose, sig):
        return _missing()
    try:
        invite = UUID(invite_id)
    except ValueError:
        return _missing()
    summary = front.reading.views.invite(invite)
    if summary is None or whose not in (summary.get("organizer"), summary.get("domain")):
        return _missing()
    back = f"{_path(whose)}?{urlencode({'sig': sig})}"
    clean = address.strip()
    if website.strip():
        # A bot filled the field people cannot see: it is told what a person would be.
        return _outcome("On its way", f"The invitation is on its way to {clean}.", back)
    if summary.get("status") != "cancelled" and not is_upcoming(summary, now()):
        return _outcome("This event is over", "There is no invitation to send.", back, 410)
    links = front.links
    done = links.landing(invite, links.landing_signature(invite), clean, name or None, now())
    if done.invite is None:
        return _missing()
    if done.outcome is LandingOutcome.CANCELLED:
        return _outcome(
            "Cancelled", "This event was cancelled: there is no invitation to send.", back, 410
        )
    if done.outcome is LandingOutcome.INVALID:
        return _outcome(
            "Check the address", f"{clean} cannot receive it: {done.reason}.", back, 400
        )
    # A mailbox that had it already gets the same page as a new one: the page must not tell a
    # visitor who else asked for this invitation.
    if done.outcome in (LandingOutcome.SENT, LandingOutcome.DUPLICATE):
        return _outcome("On its way", f"The invitation is on its way to {done.address}.", back)
    return _outcome("Not sent", f"The invitation could not be sent to {done.address}.", back)


def _reader(front: FrontDoors, whose: str) -> Read:
    """Return the read of the upcoming invites of an organizer (an address) or a domain."""
    views, moment = front.reading.views, now()
    if "@" in whose:
        return lambda c: views.upcoming(now=moment, organizer=whose, cursor=c, limit=PAGE)
    return lambda c: views.upcoming(now=moment, domain=whose, cursor=c, limit=PAGE)


def _event(item: dict[str, Any]) -> Event:
    return Event(
        invite=str(item["invite"]),
        title=str(item.get("title") or "(no title)"),
        when=when(item.get("start"), item.get("timezone")),
        location=item.get("location") or None,
        organizer=item.get("organizer_name") or None,
    )


def _path(who: str) -> str:
    return f"/upcoming/{quote(who, safe='@')}"


def _outcome(title: str, message: str, back: str | None = None, status: int = 200) -> Response:
    return page("upcoming_outcome.html.j2", status=status, title=title, message=message, back=back)


def _missing() -> Response:
    """The one answer for a wrong signature, an unknown invite and one of another's."""
    return page("upcoming_missing.html.j2", status=404)
