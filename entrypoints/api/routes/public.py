"""Links people follow without an API key: RSVP answers, calendar files, landing pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from application.send_types import Recipient, SendOutcome
from domain.addresses import address_problem
from domain.identity import normalize_address
from domain.invite import Invite
from domain.organizer import origin_of
from entrypoints.api.auth import State
from entrypoints.api.links import rsvp_links, signature_valid
from entrypoints.api.pages import html_page
from entrypoints.api.problems import not_found, problem_responses
from entrypoints.api.state import ApiState

router = APIRouter(tags=["public"])

ANSWERS = {"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE"}
_SAID = {"ACCEPTED": "you accept", "DECLINED": "you decline", "TENTATIVE": "you might attend"}
_ON_ITS_WAY = {SendOutcome.SENT, SendOutcome.QUEUED, SendOutcome.DUPLICATE}
HTML: dict[str, Any] = {"content": {"text/html": {}}}


@router.get(
    "/rsvp/{token}",
    response_class=Response,
    responses={
        200: {**HTML, "description": "What was recorded"},
        400: {**HTML, "description": "An invalid or expired link"},
    },
)
def rsvp(
    token: str,
    state: State,
    answer: Annotated[
        str, Query(max_length=20, description="accepted, declined or tentative")
    ] = "",
) -> Response:
    """Record the answer an RSVP link in an invitation carries, and say what was recorded."""
    partstat = ANSWERS.get(answer.strip().lower())
    if partstat is None:
        return html_page(
            "That link is incomplete",
            "Choose accept, decline or maybe in the invitation.",
            status=400,
        )
    try:
        links = rsvp_links(state.service)
        from application.rsvp_links import InvalidLinkError  # with the links, when first used
    except ImportError:
        return html_page("Not available", "Answers by link are not set up here.", status=404)
    try:
        recorded = links.answer(token, partstat, datetime.now(UTC))
    except (InvalidLinkError, ValueError):
        return html_page(
            "That link does not work",
            "It may have expired, or the invitation changed. Answer from the newest invitation.",
            status=400,
        )
    title = recorded.title or "the event"
    said = _SAID.get(str(recorded.partstat).upper(), str(recorded.partstat).lower())
    return html_page(
        "Thank you",
        f"We recorded that {said}: {title}.",
        f"Answer recorded for {recorded.address}.",
    )


@router.get(
    "/invites/{invite_id}/invite.ics",
    name="invite_calendar",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The invite's calendar file"},
        **problem_responses(404, 422),
    },
)
def invite_calendar(
    invite_id: UUID,
    state: State,
    sig: Annotated[str | None, Query(max_length=256)] = None,
) -> Response:
    """The invite as an .ics file, for whoever holds its signed link."""
    service = state.service
    if not signature_valid(service, invite_id, sig) or service.load(Invite, invite_id) is None:
        raise not_found()
    from application.downloads import calendar_file

    data = calendar_file(service.load, state.container.renderer(), state.outbound, invite_id)
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="invite.ics"'},
    )


@router.get(
    "/landing/{invite_id}",
    response_class=Response,
    responses={
        200: {**HTML, "description": "What became of the request"},
        303: {"description": "Back to the organizer's own site"},
        400: {**HTML, "description": "An unusable address"},
        404: {**HTML, "description": "An unknown invite or a bad signature"},
        **problem_responses(422, 429),
    },
)
def landing(
    invite_id: UUID,
    request: Request,
    state: State,
    sig: Annotated[str | None, Query(max_length=256)] = None,
    address: Annotated[str, Query(max_length=254)] = "",
    name: Annotated[str | None, Query(max_length=200)] = None,
    redirect: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """Send the invite to the address a landing page's visitor gave; then go back to the
    organizer's site only if it is one of their configured landing origins."""
    state.limit_ip(request)
    service = state.service
    invite = service.load(Invite, invite_id) if signature_valid(service, invite_id, sig) else None
    if invite is None:
        return html_page("Unknown invitation", "This invitation link is not valid.", status=404)
    recipient = normalize_address(address)
    problem = address_problem(recipient)
    if problem:
        return html_page(
            "Check the address", f"{address!s} cannot receive it: {problem}.", status=400
        )
    clean_name = " ".join((name or "").split()) or None
    (result,) = service.send(
        str(invite_id), [Recipient(recipient, clean_name, "landing")], now=datetime.now(UTC)
    )
    target = allowed_redirect(state, invite.organizer, redirect)
    if target is not None:
        return RedirectResponse(target, status_code=303)
    if result.outcome in _ON_ITS_WAY:
        return html_page("On its way", f"The invitation is on its way to {recipient}.")
    return html_page("Not sent", f"The invitation could not be sent to {recipient}.")


def allowed_redirect(state: ApiState, organizer: str, redirect: str | None) -> str | None:
    """Return ``redirect`` if its origin is one the organizer configured, else None."""
    if not redirect or any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in redirect):
        return None
    origin = origin_of(redirect)
    record = state.service.registry.find(organizer)
    if origin is None or record is None or not record.allows_landing(origin):
        return None
    return redirect
