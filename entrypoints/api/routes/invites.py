"""One invite: its summary, statistics, attendees, and the RSVP report emailed to its organizer."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Request

from application.access import may_write
from entrypoints.api.auth import Caller, State
from entrypoints.api.models import Attendee, InviteDetail, InviteStatistics, ReportSent
from entrypoints.api.pagination import Page, Paging, page_of
from entrypoints.api.problems import not_found, problem_responses

router = APIRouter(tags=["invites"], responses=problem_responses(401, 404, 422))

# The statuses an attendee's answer may have now (the views' STATUSES, pinned by a test).
AttendeeStatus = Literal["accepted", "declined", "tentative", "delegated", "no answer", "bounced"]


@router.get("/invites/{invite_id}", response_model=InviteDetail)
def get_invite(invite_id: UUID, request: Request, caller: Caller, state: State) -> dict[str, Any]:
    """The invite's summary, the signed link to its calendar file and, for those who may send
    it, the signed link its landing pages send it with."""
    summary = state.doors.reading.summary_for(caller, invite_id)
    links = state.doors.links
    calendar = _signed(request, "invite_calendar", invite_id, links.calendar_signature(invite_id))
    landing = None
    # The landing signature sends mail: only those who may send the invite ever see it.
    if may_write(caller, summary["organizer"]):
        landing = _signed(request, "landing", invite_id, links.landing_signature(invite_id))
    return {**summary, "calendar_url": calendar, "landing_url": landing}


def _signed(request: Request, route: str, invite_id: UUID, signature: str) -> str:
    """Return the absolute URL of ``route`` for the invite with ``?sig=``."""
    path = request.url_for(route, invite_id=str(invite_id))
    return f"{path}?sig={quote(signature, safe='')}"


@router.get("/invites/{invite_id}/statistics", response_model=InviteStatistics)
async def invite_statistics(invite_id: UUID, caller: Caller, state: State) -> dict[str, Any]:
    """Who was invited, by status, by origin and by replying client."""
    # On the event loop: a handful of indexed reads of the views (the same whatever the
    # invite's size) take less than handing the request to a worker thread and back.
    reading = state.doors.reading
    reading.summary_for(caller, invite_id)
    statistics = reading.views.statistics(invite_id)
    if statistics is None:  # pragma: no cover - the summary was just read
        raise not_found()
    return statistics


@router.get(
    "/invites/{invite_id}/attendees",
    response_model=Page[Attendee],
    responses=problem_responses(400, 403),
)
def invite_attendees(
    invite_id: UUID,
    caller: Caller,
    state: State,
    paging: Paging,
    status: Annotated[
        AttendeeStatus | None,
        Query(description="Only attendees whose answer that counts now has this status."),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=254,
            description=(
                "Only attendees whose address starts with this (case-insensitive); "
                "for the invite's organizer and admins, who see addresses."
            ),
        ),
    ] = None,
) -> dict[str, Any]:
    """The invite's attendees by address; addresses masked unless the caller is its organizer.

    Filtering by status or address stays as fast for 100,000 attendees as for ten: each
    reads only the rows it returns.
    """
    page = state.doors.reading.attendees_for(
        caller,
        invite_id,
        cursor=paging.cursor,
        limit=paging.limit,
        status=status,
        prefix=(q or "").strip().lower() or None,
    )
    return page_of(page.items, page.cursor)


@router.post(
    "/invites/{invite_id}/report",
    response_model=ReportSent,
    responses=problem_responses(403, 429),
)
def email_report(invite_id: UUID, caller: Caller, state: State) -> dict[str, Any]:
    """Email the RSVP report (CSV) to the invite's organizer; answer what it counted."""
    invite = state.doors.reading.invite_for(caller, invite_id)
    state.limit_key(caller.key_id)
    rows = state.doors.outbound.email_report(str(invite_id), now=datetime.now(UTC))
    return {
        "invite": str(invite_id),
        "emailed_to": invite.organizer,
        "rows": len(rows),
        "by_status": dict(sorted(Counter(row.status for row in rows).items())),
    }
