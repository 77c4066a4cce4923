"""An invite's add-to-calendar links, for those who may read it (the landing page shows them
to its visitors through a redirect that counts them: ``routes/landing.py``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Request

from application.access import may_write
from application.links.calendar_links import Provider
from entrypoints.api.auth import Caller, State
from entrypoints.api.models import CalendarLinks
from entrypoints.api.problems import problem_responses

router = APIRouter(tags=["invites"], responses=problem_responses(401, 404, 422))


@router.get("/invites/{invite_id}/calendar-links", response_model=CalendarLinks)
def calendar_links(
    invite_id: UUID, request: Request, caller: Caller, state: State
) -> dict[str, Any]:
    """The links that add the invite to Google Calendar, Outlook.com, Office 365 and Yahoo,
    and its calendar file; for those who may send it, the same links through the landing
    page's redirect, which counts each use as "added via link" in the invite's statistics."""
    summary = state.doors.reading.summary_for(caller, invite_id)
    links = state.doors.links
    ics = _signed(request, "invite_calendar", invite_id, links.calendar_signature(invite_id))
    landing = counted = None
    # The landing signature sends mail: only those who may send the invite ever see it.
    if may_write(caller, summary["organizer"]):
        landing_sig = links.landing_signature(invite_id)
        landing = _signed(request, "landing", invite_id, landing_sig)
    direct = links.add_links(invite_id, more=landing or ics)
    if landing is not None:
        shown = [*direct, Provider.ICS]
        counted = {
            p.value: _signed(request, "landing_add", invite_id, landing_sig, provider=p.value)
            for p in shown
        }
    return {
        "invite": str(invite_id),
        "links": {p.value: url for p, url in direct.items()},
        "ics": ics,
        "landing_url": landing,
        "counted_links": counted,
    }


def _signed(request: Request, route: str, invite_id: UUID, signature: str, **more: str) -> str:
    """Return the absolute URL of ``route`` for the invite with ``?sig=``."""
    path = request.url_for(route, invite_id=str(invite_id), **more)
    return f"{path}?sig={quote(signature, safe='')}"
