"""The VEVENTs of one version of an invite, with a place kept for each recipient's own lines."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from icalendar import Event
from icalendar.prop import vRecur

from adapters.outbound.text import calendar_text
from adapters.outbound.times import end_of, moment, same_kind, span_of, start_of, zone_of
from domain.outbound import OutboundInvite
from domain.values import EventDetails

# Each VEVENT carries this property until a recipient's ORGANIZER and ATTENDEE replace it.
PERSONAL = "X-CIS-PERSONAL"
STATUSES = frozenset({"TENTATIVE", "CONFIRMED", "CANCELLED"})


def _event(invite: OutboundInvite, now: datetime) -> Event:
    event = Event()
    event.add("UID", invite.uid)
    event.add("SEQUENCE", invite.sequence)
    event.add("DTSTAMP", now)
    event.add(PERSONAL, "")
    return event


def _describe(event: Event, details: EventDetails, *, cancelled: bool) -> None:
    for name, value in (
        ("SUMMARY", details.summary),
        ("DESCRIPTION", details.description),
        ("LOCATION", details.location),
    ):
        text = calendar_text(value)
        if text:
            event.add(name, text)
    status = "CANCELLED" if cancelled else (details.status or "").upper()
    if status in STATUSES:
        event.add("STATUS", status)


def _times(event: Event, start: date | None, end: date | None) -> None:
    if start is None:
        return
    event.add("DTSTART", start)
    # RFC 5545 wants DTEND after DTSTART and of the same value type; anything else is left out.
    if end is not None and same_kind(start, end) and end > start:
        event.add("DTEND", end)


def master(
    invite: OutboundInvite, details: EventDetails, now: datetime, *, cancelled: bool
) -> Event:
    """Return the VEVENT of the whole (possibly recurring) event."""
    event = _event(invite, now)
    _describe(event, details, cancelled=cancelled)
    _times(event, start_of(details), end_of(details))
    if details.rrule:
        event.add("RRULE", vRecur.from_ical(details.rrule))
    where = zone_of(details)
    # One property per value: a single RDATE/EXDATE line may hold only one value type and TZID.
    for text in details.rdates:
        event.add("RDATE", moment(text, where, all_day=details.all_day))
    for text in details.exdates:
        event.add("EXDATE", moment(text, where, all_day=details.all_day))
    return event


def instance(
    invite: OutboundInvite,
    recurrence_id: str,
    details: EventDetails | None,
    now: datetime,
    *,
    cancelled: bool,
) -> Event:
    """Return the VEVENT of one occurrence (its own details, else what the master says)."""
    basis = invite.details or details or EventDetails()
    where: tzinfo = zone_of(basis) if basis.start is not None else UTC
    # Written like the master's DTSTART (same zone, same value type), as RFC 5545 asks.
    occurrence = moment(recurrence_id, where, all_day=basis.all_day)
    event = _event(invite, now)
    event.add("RECURRENCE-ID", occurrence)
    # A bare occurrence (a CANCEL of it, or a cancelled one) still says what it was.
    own = details if details is not None and details.start else _bare(details, invite.details)
    _describe(event, own, cancelled=cancelled)
    if own.start is not None:
        _times(event, start_of(own), end_of(own))
    else:
        span = span_of(basis) if invite.details is not None else None
        _times(event, occurrence, None if span is None else occurrence + span)
    return event


def _bare(details: EventDetails | None, master: EventDetails | None) -> EventDetails:
    own, basis = details or EventDetails(), master or EventDetails()
    return EventDetails(
        summary=own.summary or basis.summary,
        description=own.description or basis.description,
        location=own.location or basis.location,
        status=own.status,
    )
