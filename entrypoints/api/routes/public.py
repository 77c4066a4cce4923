"""Links people follow without an API key: RSVP answers and calendar files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import Response

from application.links.rsvp_links import InvalidLinkError, RsvpLinks
from application.ports import InviteWording
from application.vocabulary import ANSWERS as LINK_ANSWERS
from entrypoints.api.auth import State
from entrypoints.api.pages import HTML, PostForm, html_page
from entrypoints.api.problems import problem_responses
from entrypoints.api.state import ApiState

router = APIRouter(tags=["public"])

# The answers as the links in invitations spell them (domain.web_links.rsvp_urls).
ANSWERS = {answer: answer.upper() for answer in LINK_ANSWERS}
_T = TypeVar("_T")
_SAID = {"ACCEPTED": "you accept", "DECLINED": "you decline", "TENTATIVE": "you might attend"}
_ASKED = {"ACCEPTED": "Accept?", "DECLINED": "Decline?", "TENTATIVE": "Maybe?"}
_BUTTON = {"ACCEPTED": "Yes, accept", "DECLINED": "Yes, decline", "TENTATIVE": "Yes, maybe"}
_CANCELLED = "The organizer has cancelled this event."
_CHANGED = (
    "The invitation changed since this link was sent: an answer through it is kept but does "
    "not count. Answer from the newest invitation."
)


_TOKEN = Path(description="The signed token of the recipient's RSVP link")
_RSVP_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**HTML, "description": "An invalid or expired link, or an unknown answer"},
    **problem_responses(422),
}


@router.get(
    "/rsvp/{token}",
    summary="Ask to confirm the answer of an RSVP link",
    response_class=Response,
    responses={
        200: {**HTML, "description": "The answer to confirm, with a button that posts it"},
        **_RSVP_RESPONSES,
    },
)
def rsvp_question(
    token: Annotated[str, _TOKEN],
    state: State,
    answer: Annotated[
        str, Query(max_length=20, description="accepted, declined or tentative")
    ] = "",
) -> Response:
    """Ask to confirm the answer an RSVP link in an invitation carries; records nothing.

    Mail scanners and link previewers follow links: only the POST of the page's form records.
    """
    partstat = ANSWERS.get(answer.strip().lower())
    if partstat is None:
        return _no_answer()
    question = _through_link(state, lambda links: links.question(token, partstat, _now()))
    if isinstance(question, Response):
        return question
    title = question.title or "the event"
    paragraphs = [f"Do you want to answer that {_SAID[partstat]}: {title}?"]
    # The event and the answer only: whoever holds the link (a forward, a mail scanner) must
    # not learn the recipient's address from the page.
    if not question.current:
        paragraphs.append(_CHANGED)
    if question.event is not None and question.event.cancelled:
        paragraphs.append(_CANCELLED)
    return html_page(
        _ASKED[partstat],
        *paragraphs,
        facts=_facts(question.event),
        # "./token" stays under /v1/rsvp/ whatever prefix a proxy adds in front of it.
        form=PostForm(
            action=f"./{token}", button=_BUTTON[partstat], fields={"answer": partstat.lower()}
        ),
    )


@router.post(
    "/rsvp/{token}",
    summary="Record the answer of an RSVP link",
    response_class=Response,
    responses={200: {**HTML, "description": "What was recorded"}, **_RSVP_RESPONSES},
)
def rsvp(
    token: Annotated[str, _TOKEN],
    state: State,
    answer: Annotated[str, Form(max_length=20, description="accepted, declined or tentative")] = "",
) -> Response:
    """Record the answer confirmed on an RSVP link's page, and say what became of it."""
    partstat = ANSWERS.get(answer.strip().lower())
    if partstat is None:
        return _no_answer()
    recorded = _through_link(state, lambda links: links.answer(token, partstat, _now()))
    if isinstance(recorded, Response):
        return recorded
    title = recorded.title or "the event"
    said = _SAID[partstat]
    facts = _facts(recorded.event)
    if recorded.outcome == "stale":
        return html_page(
            "Not counted",
            f"Your answer to {title} was kept, but it does not count: "
            "a newer answer is recorded, or the invitation changed since this link "
            "was sent. Answer from the newest invitation.",
            facts=facts,
        )
    if recorded.outcome == "duplicate":
        return html_page(
            "Already recorded", f"We already recorded that {said}: {title}.", facts=facts
        )
    return html_page("Thank you", f"We recorded that {said}: {title}.", facts=facts)


def _facts(event: InviteWording | None) -> list[tuple[str, str]]:
    """Return what the page shows of the event, in the invitation's own words."""
    if event is None:
        return []
    shown = [
        ("Event", event.title),
        ("When", event.when),
        ("Repeats", event.repeats),
        ("Where", event.location),
        ("Organizer", event.organizer),
    ]
    return [(label, value) for label, value in shown if value]


def _through_link(state: ApiState, use: Callable[[RsvpLinks], _T]) -> _T | Response:
    """Return what ``use`` makes of the links, or the page saying why it could not."""
    try:
        return use(state.doors.links.rsvp)
    except (InvalidLinkError, ValueError) as error:
        return _refused(error)


def _now() -> datetime:
    return datetime.now(UTC)


def _no_answer() -> Response:
    return html_page(
        "That link is incomplete", "Choose accept, decline or maybe in the invitation.", status=400
    )


def _refused(error: ValueError) -> Response:
    reason = str(error)
    return html_page(
        "That link does not work",
        reason[:1].upper() + reason[1:] + ".",
        "Answer from the newest invitation, or with your calendar's buttons.",
        status=400,
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
    # A wrong signature and an unknown invite alike are NotVisibleError: the 404 problem.
    data = state.doors.links.calendar_file(invite_id, sig)
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="invite.ics"'},
    )
