"""Landing pages: an organizer's web page has the invite sent to the address a visitor gives;
the landing link alone is the invite's own page (add it to a calendar, or get updates by
email), whose add links go through a redirect that counts them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from application.access import NotVisibleError
from application.links.calendar_links import LABELS, NoCalendarLinkError, Provider
from application.links.landing import LandingOutcome
from entrypoints.api.auth import State
from entrypoints.api.pages import HTML, AddressForm, LinkList, html_page
from entrypoints.api.problems import problem_responses
from entrypoints.api.state import ApiState

router = APIRouter(tags=["public"])


@router.get(
    "/landing/{invite_id}",
    name="landing",
    response_class=Response,
    responses={
        200: {**HTML, "description": "What became of the request, or (no address) the page"},
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
    address: Annotated[str | None, Query(max_length=254)] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    redirect: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """Send the invite to the address a landing page's visitor gave (once per mailbox); then go
    back to the organizer's site only if it is one of their configured landing origins.

    Without ``address``, the invite's own landing page: the event, its add-to-calendar links
    and a "Get updates by email" form that comes back here with the address.
    """
    if address is None:
        return _landing_page(request, state, invite_id, sig)
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


Signature = Annotated[
    str | None, Query(max_length=256, description="The invite's landing signature")
]
_UNKNOWN = ("Unknown invitation", "This invitation link is not valid.")
_CANCELLED = ("Cancelled", "This event was cancelled: there is no invitation to send.")


def _landing_page(request: Request, state: ApiState, invite_id: UUID, sig: str | None) -> Response:
    """The invite's landing page: add it to a calendar, or have it (and its updates) mailed."""
    here = _signed(request, "landing", invite_id, sig or "")
    event = state.doors.links.landing_event(invite_id, sig, more=here)
    if event is None:
        return html_page(*_UNKNOWN, status=404)
    wording = event.wording
    if wording.cancelled:
        return html_page(*_CANCELLED, status=410)
    facts = [
        ("When", wording.when),
        ("Repeats", wording.repeats),
        ("Where", wording.location),
        ("Organizer", wording.organizer),
    ]
    # Every link goes through the counting redirect, the .ics too (after the web calendars).
    shown = [*event.links, Provider.ICS] if event.links else [Provider.ICS]
    adds = [(LABELS[p], _signed(request, "landing_add", invite_id, sig or "", p)) for p in shown]
    return html_page(
        wording.title or "Invitation",
        facts=[(label, value) for label, value in facts if value],
        sections=[
            LinkList("Add it to your calendar", adds),
            AddressForm(
                "Get updates by email",
                "A calendar link adds the event as it is now. Give your address and the "
                "invitation comes by email: your calendar then follows every change and a "
                "cancellation, and the organizer sees your answer.",
                action=f"./{invite_id}",
                button="Send me the invitation",
                fields={"sig": sig or ""},
            ),
        ],
    )


@router.get(
    "/landing/{invite_id}/add/{provider}",
    name="landing_add",
    summary="Add the invite to a calendar (counted)",
    response_class=Response,
    responses={
        302: {"description": "To the calendar's own page that adds the event, or the .ics"},
        404: {**HTML, "description": "An unknown invite or not its landing signature"},
        410: {**HTML, "description": "Nothing to add: the event is cancelled or has no time"},
        **problem_responses(422),
    },
)
def landing_add(
    invite_id: UUID, provider: Provider, request: Request, state: State, sig: Signature = None
) -> Response:
    """Count one visitor who added the invite through ``provider``'s link on its landing page
    (as "added via link" in its statistics: not an invited recipient), then send them on to
    that calendar's page that adds the event (``ics``: the signed calendar file)."""
    links = state.doors.links
    try:
        target = links.added_via_link(
            invite_id,
            sig,
            provider,
            more=_signed(request, "landing", invite_id, sig or ""),
            calendar_file=_signed(
                request, "invite_calendar", invite_id, links.calendar_signature(invite_id)
            ),
        )
    except NotVisibleError:
        return html_page(*_UNKNOWN, status=404)
    except NoCalendarLinkError:
        return html_page("Nothing to add", "This event is cancelled or has no time.", status=410)
    # The landing link holds a signature: no Referer may carry it to the calendar's site.
    return RedirectResponse(
        target,
        status_code=302,
        headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
    )


def _signed(
    request: Request, route: str, invite_id: UUID, signature: str, provider: Provider | None = None
) -> str:
    """Return the absolute URL of ``route`` for the invite (and provider) with ``?sig=``."""
    named = {"provider": provider.value} if provider is not None else {}
    path = request.url_for(route, invite_id=str(invite_id), **named)
    return f"{path}?sig={quote(signature, safe='')}"
