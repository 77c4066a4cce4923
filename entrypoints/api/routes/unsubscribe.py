"""One-click unsubscribe (RFC 8058): the URL every list invitation's List-Unsubscribe names.

A GET only asks (mail scanners and link previewers follow links: they must not unsubscribe
anyone); a POST unsubscribes at once, whether a mail client's one-click POST
(``List-Unsubscribe=One-Click``) or the page's button, and doing it twice changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path
from fastapi.responses import Response

from application.outbound.suppressions import InvalidLinkError
from entrypoints.api.auth import State
from entrypoints.api.pages import HTML
from entrypoints.api.problems import problem_responses
from entrypoints.web.pages import page

router = APIRouter(tags=["public"])

_TOKEN = Path(max_length=64, description="The signed token of the recipient's unsubscribe link")
_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**HTML, "description": "A link this server did not issue, or one altered"},
    **problem_responses(422),
}


@router.get(
    "/unsubscribe/{token}",
    summary="Ask to confirm an unsubscribe",
    response_class=Response,
    responses={
        200: {**HTML, "description": "Who the link unsubscribes from, with the buttons"},
        **_RESPONSES,
    },
)
def unsubscribe_question(token: Annotated[str, _TOKEN], state: State) -> Response:
    """Ask whether to stop the invitations of the link's organizer (or of every organizer);
    records nothing. The page names the organizer, never the recipient's address."""
    try:
        question = state.doors.outbound.suppressions.question(token)
    except InvalidLinkError as error:
        return _refused(error)
    return page(
        "unsubscribe.html.j2",
        token=token,
        organizer=question.organizer,
        already=question.already,
        everywhere=question.everywhere,
    )


@router.post(
    "/unsubscribe/{token}",
    summary="Unsubscribe (one click)",
    response_class=Response,
    responses={200: {**HTML, "description": "What was recorded"}, **_RESPONSES},
)
def unsubscribe(
    token: Annotated[str, _TOKEN],
    state: State,
    one_click: Annotated[
        str | None,
        Form(
            alias="List-Unsubscribe",
            max_length=20,
            description="`One-Click`, as RFC 8058 mail clients post it",
        ),
    ] = None,
    scope: Annotated[
        str | None,
        Form(
            max_length=20,
            description="`all`: from every organizer; otherwise from the link's organizer",
        ),
    ] = None,
) -> Response:
    """Unsubscribe the link's recipient at once; posting again changes nothing (200)."""
    everywhere = (scope or "").strip().lower() == "all"
    try:
        done = state.doors.outbound.suppressions.unsubscribe(
            token, everywhere=everywhere, now=datetime.now(UTC)
        )
    except InvalidLinkError as error:
        return _refused(error)
    whom = "every organizer" if everywhere else done.organizer
    said = (
        f"You will receive no more invitations from {whom} through this server."
        if done.changed
        else f"You were already unsubscribed from {whom}."
    )
    return page(
        "unsubscribe_done.html.j2",
        title="Unsubscribed",
        paragraphs=[said, "Invitations already in your calendar stay there."],
    )


def _refused(error: ValueError) -> Response:
    reason = str(error)
    return page(
        "unsubscribe_done.html.j2",
        status=400,
        title="That link does not work",
        paragraphs=[
            reason[:1].upper() + reason[1:] + ".",
            "Use the unsubscribe link of the newest invitation you received.",
        ],
    )
