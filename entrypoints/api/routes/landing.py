"""Landing pages: an organizer's web page has the invite sent to the address a visitor gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from application.links.landing import LandingOutcome
from entrypoints.api.auth import State
from entrypoints.api.pages import HTML, html_page
from entrypoints.api.problems import problem_responses

router = APIRouter(tags=["public"])


@router.get(
    "/landing/{invite_id}",
    name="landing",
    response_class=Response,
    responses={
        200: {**HTML, "description": "What became of the request"},
        303: {"description": "Back to the organizer's own site"},
        400: {**HTML, "description": "An unusable address"},
        404: {**HTML, "description": "An unknown invite or not its landing signature"},
        410: {**HTML, "description": "The event is cancelled: nothing is sent"},
        **problem_responses(422, 429),
    },
)
def landing(
    invite_id: UUID,
    request: Request,
    state: State,
    sig: Annotated[
        str | None, Query(max_length=256, description="The invite's landing signature")
    ] = None,
    address: Annotated[str, Query(max_length=254)] = "",
    name: Annotated[str | None, Query(max_length=200)] = None,
    redirect: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """Send the invite to the address a landing page's visitor gave (once per mailbox); then go
    back to the organizer's site only if it is one of their configured landing origins."""
    state.limit_ip(request)
    links = state.doors.links
    done = links.landing(invite_id, sig or "", address, name, datetime.now(UTC))
    if done.invite is None:
        return html_page("Unknown invitation", "This invitation link is not valid.", status=404)
    if done.outcome is LandingOutcome.CANCELLED:
        return html_page(
            "Cancelled", "This event was cancelled: there is no invitation to send.", status=410
        )
    if done.outcome is LandingOutcome.INVALID:
        return html_page(
            "Check the address", f"{address!s} cannot receive it: {done.reason}.", status=400
        )
    target = links.allowed_redirect(done.invite.organizer, redirect)
    if target is not None:
        return RedirectResponse(target, status_code=303)
    # A mailbox that already had it gets the same page as a new one: the page must not tell a
    # visitor who else asked for this invitation.
    if done.outcome in (LandingOutcome.SENT, LandingOutcome.DUPLICATE):
        return html_page("On its way", f"The invitation is on its way to {done.address}.")
    return html_page("Not sent", f"The invitation could not be sent to {done.address}.")
