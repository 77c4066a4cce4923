"""The words of an invite email: subject, text and HTML bodies from replaceable templates."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

from adapters.outbound.recurrence import frequency_text, repeat_text
from adapters.outbound.text import calendar_text, one_line
from adapters.outbound.times import moment, short_when, span_of, when_text, zone_of
from domain.outbound import OutboundInstance, OutboundInvite
from domain.values import EventDetails, Method

TEXT_TEMPLATE = "invite.txt.j2"
HTML_TEMPLATE = "invite.html.j2"
UNTITLED = "Untitled event"
_SUBJECT_DASH = " \N{EM DASH} "


def environment(folder: Path | None = None) -> Environment:
    """Return a Jinja2 environment: the operator's folder first, then the packaged templates."""
    packaged = PackageLoader("adapters.outbound", "templates")
    loader = packaged if folder is None else ChoiceLoader([FileSystemLoader(folder), packaged])
    return Environment(
        loader=loader,
        autoescape=select_autoescape(("html", "htm", "html.j2"), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def shown(invite: OutboundInvite) -> EventDetails:
    """Return the details people read about: the master, else the instance the message is about."""
    if invite.details is not None:
        return invite.details
    wanted = [i for i in invite.instances if i.recurrence_id == invite.cancelled_instance]
    return (wanted or list(invite.instances) or [OutboundInstance("", EventDetails())])[0].details


def title_of(invite: OutboundInvite) -> str:
    """Return the event's title on one line."""
    return one_line(shown(invite).summary) or UNTITLED


def kind_of(invite: OutboundInvite) -> str:
    """Return what the message is: an invitation, an updated one, or a cancellation."""
    if invite.method == Method.CANCEL:
        return "Cancelled"
    return "Updated invitation" if invite.sequence > 0 else "Invitation"


def subject_of(invite: OutboundInvite) -> str:
    """Return the Subject: what happened to which event, and when it starts.

    "Invitation: Weekly sync \N{EM DASH} weekly from Mon 10 Mar 2025 10:00 (Europe/Berlin)";
    "Updated: …" and "Cancelled: …" likewise (a cancelled occurrence: its own time).
    """
    head = {"Updated invitation": "Updated"}.get(kind_of(invite), kind_of(invite))
    subject = f"{head}: {title_of(invite)}"
    when = _subject_when(invite)
    # A TZID is the organizer's text too: the whole Subject is made one line.
    return one_line(f"{subject}{_SUBJECT_DASH}{when}" if when else subject) or subject


def _subject_when(invite: OutboundInvite) -> str | None:
    if invite.method == Method.CANCEL and invite.cancelled_instance is not None:
        own = {i.recurrence_id: i.details for i in invite.instances}
        rid = invite.cancelled_instance
        return short_when(_occurrence_details(invite, rid, own.get(rid)))
    details = shown(invite)
    start = short_when(details)
    often = frequency_text(details.rrule)
    return f"{often} from {start}" if start and often else start


def _occurrence_details(
    invite: OutboundInvite, recurrence_id: str, details: EventDetails | None
) -> EventDetails:
    if details is not None and details.start:
        return details
    # A bare occurrence happens when the series says: at its RECURRENCE-ID, for as long.
    basis = shown(invite)
    start = moment(recurrence_id, zone_of(basis), all_day=basis.all_day)
    span = span_of(basis)
    return EventDetails(
        start=start.isoformat(),
        end=None if span is None else (start + span).isoformat(),
        timezone=basis.timezone,
        zone_definition=basis.zone_definition,
        all_day=basis.all_day,
    )


def _occurrence(invite: OutboundInvite, recurrence_id: str, details: EventDetails | None) -> str:
    return when_text(_occurrence_details(invite, recurrence_id, details)) or recurrence_id


def context_of(invite: OutboundInvite, links: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return what the templates may use: plain text, which the HTML template escapes.

    ``links`` maps accepted, tentative and declined to the recipient's web RSVP links
    (None: the mail carries none; templates show them only when given).
    """
    details = shown(invite)
    cancelled = invite.method == Method.CANCEL
    occurrence = None
    if cancelled and invite.cancelled_instance is not None:
        own = {i.recurrence_id: i.details for i in invite.instances}
        occurrence = _occurrence(
            invite, invite.cancelled_instance, own.get(invite.cancelled_instance)
        )
    changes = [
        {
            "when": _occurrence(invite, i.recurrence_id, i.details),
            "title": one_line(i.details.summary),
            "cancelled": i.cancelled,
        }
        for i in invite.instances
        if not cancelled and invite.details is not None
    ]
    return {
        "kind": kind_of(invite),
        "title": title_of(invite),
        "when": when_text(details),
        "location": calendar_text(details.location) or None,
        "description": calendar_text(details.description) or None,
        "organizer": one_line(invite.organizer_name),
        # The rule as written (for operators' templates), and in words.
        "recurrence": details.rrule,
        "repeats": repeat_text(details.rrule, zone_of(details)),
        "cancelled": cancelled,
        "updated": invite.sequence > 0,
        "occurrence": occurrence,
        "changes": changes,
        "sequence": invite.sequence,
        "links": None if cancelled or not links else dict(links),
    }


def render_bodies(
    templates: Environment, invite: OutboundInvite, links: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """Return the text and HTML bodies of one version, with ``links`` where the templates say."""
    context = context_of(invite, links)
    text = templates.get_template(TEXT_TEMPLATE).render(context)
    html = templates.get_template(HTML_TEMPLATE).render(context)
    return text, html
