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

from adapters.outbound.text import calendar_text, one_line
from adapters.outbound.times import moment, span_of, when_text, zone_of
from domain.outbound import OutboundInstance, OutboundInvite
from domain.values import EventDetails, Method

TEXT_TEMPLATE = "invite.txt.j2"
HTML_TEMPLATE = "invite.html.j2"
UNTITLED = "Untitled event"


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


def subject_of(invite: OutboundInvite) -> str:
    """Return the Subject: what happened to which event."""
    if invite.method == Method.CANCEL:
        return f"Cancelled: {title_of(invite)}"
    if invite.sequence > 0:
        return f"Updated invitation: {title_of(invite)}"
    return f"Invitation: {title_of(invite)}"


def _occurrence(invite: OutboundInvite, recurrence_id: str, details: EventDetails | None) -> str:
    if details is not None and details.start:
        return when_text(details) or recurrence_id
    # A bare occurrence happens when the series says: at its RECURRENCE-ID, for as long.
    basis = shown(invite)
    start = moment(recurrence_id, zone_of(basis), all_day=basis.all_day)
    span = span_of(basis)
    bare = EventDetails(
        start=start.isoformat(),
        end=None if span is None else (start + span).isoformat(),
        timezone=basis.timezone,
        zone_definition=basis.zone_definition,
        all_day=basis.all_day,
    )
    return when_text(bare) or recurrence_id


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
        "title": title_of(invite),
        "when": when_text(details),
        "location": calendar_text(details.location) or None,
        "description": calendar_text(details.description) or None,
        "organizer": one_line(invite.organizer_name),
        "recurrence": details.rrule,
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
