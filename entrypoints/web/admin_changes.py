"""The Administration's changes to one organizer: suspend (with the reason they are told),
reinstate, the event and recipient limits, the review switch, recipient blocks.

Each is a POST form carrying the session's CSRF token (``acting``); each asks
``admin_pages.managed`` (``application.admin.authority``) before it changes anything, goes
through the admin door's organizer registry, and redirects back to the organizer's page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from application.front_doors import FrontDoors
from application.vocabulary import address_problem, normalize_address
from entrypoints.web.admin_pages import managed, organizer_page, organizer_path
from entrypoints.web.pages import page
from entrypoints.web.signed import SessionCookie, acting, doors, not_ours, now, shown

router = APIRouter(include_in_schema=False)
REVIEW = {"on": True, "off": False, "default": None}


@router.post("/organizers/{address}/suspend")
def suspend(
    request: Request,
    address: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    session: SessionCookie = None,
) -> Response:
    """Suspend the organizer, with the reason they are told."""
    return _change(
        request,
        session,
        csrf,
        address,
        "suspended",
        lambda front, who, at: front.admin.organizers.suspend(who, reason.strip() or None, now=at),
    )


@router.post("/organizers/{address}/allow")
def allow(
    request: Request,
    address: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    session: SessionCookie = None,
) -> Response:
    """Reinstate (allow) the organizer."""
    return _change(
        request,
        session,
        csrf,
        address,
        "allowed",
        lambda front, who, at: front.admin.organizers.allow(who, now=at),
    )


@router.post("/organizers/{address}/limits")
def limits(
    request: Request,
    address: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    max_events: Annotated[str, Form(max_length=12)] = "",
    max_recipients: Annotated[str, Form(max_length=12)] = "",
    session: SessionCookie = None,
) -> Response:
    """Set or lift (left empty) the organizer's event and recipient limits."""
    try:
        events, recipients = _limit(max_events), _limit(max_recipients)
    except ValueError:
        problem = "A limit is a whole number of 0 or more, or empty for no limit."
        return _refuse(request, session, csrf, address, problem)

    def change(front: FrontDoors, who: str, at: datetime) -> None:
        front.admin.organizers.limit_events(who, events, now=at)
        front.admin.organizers.limit_recipients(who, recipients, now=at)

    return _change(request, session, csrf, address, "limits", change)


@router.post("/organizers/{address}/review")
def review(
    request: Request,
    address: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    switch: Annotated[str, Form(max_length=10)] = "default",
    session: SessionCookie = None,
) -> Response:
    """Hold the organizer's updates for review (on), not (off), or follow the server."""
    if switch not in REVIEW:
        return _refuse(request, session, csrf, address, "Choose on, off or the default.")
    choice = REVIEW[switch]
    return _change(
        request,
        session,
        csrf,
        address,
        "review",
        lambda front, who, at: front.admin.organizers.review(who, choice, now=at),
    )


@router.post("/organizers/{address}/blocks")
def block(
    request: Request,
    address: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    recipient: Annotated[str, Form(max_length=254)] = "",
    action: Annotated[str, Form(max_length=10)] = "block",
    session: SessionCookie = None,
) -> Response:
    """Block (or unblock) one recipient from receiving the organizer's invitations."""
    wanted = normalize_address(recipient)
    if address_problem(wanted) is not None:
        problem = "Give the recipient's email address, like ann@example.net."
        return _refuse(request, session, csrf, address, problem)
    blocked = action != "unblock"
    return _change(
        request,
        session,
        csrf,
        address,
        "blocked" if blocked else "unblocked",
        lambda front, who, at: front.admin.organizers.block(who, wanted, blocked, now=at),
    )


def _change(
    request: Request,
    session: str | None,
    csrf: str,
    address: str,
    done: str,
    change: Callable[[FrontDoors, str, datetime], object],
) -> Response:
    """Check the form and the principal's authority over ``address``; change; go back."""
    current = acting(request, session, csrf)
    if current is None:
        return not_ours()
    who = managed(current, address)
    if who is None:
        return page("not_found.html.j2", status=404, **shown(current))
    change(doors(request), who, now())
    return RedirectResponse(f"{organizer_path(who)}?done={done}", status_code=303)


def _refuse(
    request: Request, session: str | None, csrf: str, address: str, problem: str
) -> Response:
    """Show the organizer's page again with what was wrong with the form (nothing changed)."""
    current = acting(request, session, csrf)
    if current is None:
        return not_ours()
    return organizer_page(request, current, address, problem=problem)


def _limit(text: str) -> int | None:
    """Return a limit from the form (None when empty); raise ValueError for anything but a
    whole number."""
    text = text.strip()
    if not text:
        return None
    if not text.isdecimal() or not text.isascii() or len(text) > 9:
        raise ValueError(text)
    return int(text)
