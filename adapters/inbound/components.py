"""One VEVENT → a domain Component (ordering keys) with its EventDetails (what people see)."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Component as VEvent
from icalendar.prop import vDDDTypes, vRecur

from adapters.inbound import reasons
from adapters.inbound.addresses import attendees_of, param_text
from adapters.inbound.ical import text_of, user_text
from adapters.inbound.times import Moment, Zones, first
from domain.values import Component, EventDetails

EVENT_STATUSES = frozenset({"TENTATIVE", "CONFIRMED", "CANCELLED"})
# The times a VEVENT can do without: a broken one is left out, and said so (losses_of).
_OPTIONAL_TIMES = frozenset({"DTSTART", "DTEND", "DURATION", "RDATE", "EXDATE"})
_ONE_DAY = timedelta(days=1)


class Unreadable(ValueError):
    """A VEVENT property the message cannot be understood without is broken."""


def _sequence(prop: object) -> int:
    value = first(prop)
    if isinstance(value, int):
        return max(int(value), 0)
    # icalendar rejects values beyond 32 bits (Google sends 1407317367304) as vBroken text.
    text = str(value or "").strip().removeprefix("+")
    return int(text) if text.isascii() and text.isdigit() else 0


def _status(prop: object) -> str | None:
    text = text_of(prop)
    status = text.upper() if text else None
    return status if status in EVENT_STATUSES else None


def _recur_text(recur: vRecur) -> str:
    """Return RFC 5545 RECUR text as icalendar serializes it."""
    ical = recur.to_ical()  # type: ignore[no-untyped-call]  # icalendar leaves it unannotated
    return bytes(ical).decode("ascii", "replace")


def _rrule(prop: object) -> str | None:
    prop = first(prop)
    if prop is None:
        return None
    if isinstance(prop, vRecur):
        return _recur_text(prop)
    raw = str(prop)
    try:
        # Exchange CDO writes "BYDAY=MO, TU"; whitespace is never valid in a RECUR value.
        repaired = vRecur.from_ical("".join(raw.split()))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise Unreadable(f"the RRULE {reasons.quote(raw)} cannot be read ({error})") from error
    return _recur_text(vRecur(repaired))


def _end(event: VEvent, zones: Zones, start: Moment | None) -> Moment | None:
    end = zones.moment(event.get("DTEND"))
    if end is not None and start is not None and end.floating and not start.floating:
        # Exchange writes a zoned DTSTART with a bare DTEND: same wall clock, same zone.
        return start.with_wall_time(end)
    if end is not None or start is None:
        return end
    duration = first(event.get("DURATION"))
    if isinstance(duration, vDDDTypes) and isinstance(duration.dt, timedelta):
        return start.plus(duration.dt)
    return start.plus(_ONE_DAY) if start.all_day else start


def _recurrence_id(event: VEvent, zones: Zones) -> tuple[str | None, bool]:
    prop = first(event.get("RECURRENCE-ID"))
    if prop is None:
        return None, False
    moment = zones.moment(prop)
    if moment is None:
        raise Unreadable(
            f"the RECURRENCE-ID {reasons.quote(prop)} is not a date or date-time, so the "
            "instance it changes is unknown"
        )
    params = getattr(prop, "params", {})
    return moment.instant_text(), str(params.get("RANGE", "")).upper() == "THISANDFUTURE"


def component_of(event: VEvent, zones: Zones) -> Component:
    """Return the domain Component of one VEVENT; raise Unreadable if it cannot be used."""
    start = zones.moment(event.get("DTSTART"))
    end = _end(event, zones, start)
    recurrence_id, this_and_future = _recurrence_id(event, zones)
    dtstamp = zones.moment(event.get("DTSTAMP"))
    details = EventDetails(
        summary=user_text(event.get("SUMMARY")),
        description=user_text(event.get("DESCRIPTION")),
        location=user_text(event.get("LOCATION")),
        start=start.local_text() if start else None,
        end=end.local_text() if end else None,
        timezone=start.timezone if start else None,
        zone_definition=start.definition if start else None,
        all_day=bool(start and start.all_day),
        rrule=_rrule(event.get("RRULE")),
        rdates=tuple(m.instant_text() for m in zones.moments(event.get("RDATE"))),
        exdates=tuple(m.instant_text() for m in zones.moments(event.get("EXDATE"))),
        status=_status(event.get("STATUS")),
        attendees=attendees_of(event.get("ATTENDEE")),
        organizer_name=param_text(first(event.get("ORGANIZER")), "CN"),
    )
    return Component(
        sequence=_sequence(event.get("SEQUENCE")),
        dtstamp=dtstamp.utc() if dtstamp else None,
        recurrence_id=recurrence_id,
        this_and_future=this_and_future,
        details=details,
    )


def losses_of(event: VEvent, component: Component) -> list[str]:
    """Return, for people, what of one VEVENT the server leaves out or does not act on."""
    which = (
        f"the change to the occurrence of {component.recurrence_id}"
        if component.recurrence_id
        else "the event"
    )
    losses = [
        f"the {name} {reasons.quote(first(event.get(name)))} of {which} is not a valid date or "
        "time, so it is left out"
        for name in dict.fromkeys(name for name, _ in event.errors)
        if name in _OPTIONAL_TIMES
    ]
    if component.this_and_future:
        # RFC 5545's RANGE=THISANDFUTURE: the server keeps changes per occurrence only.
        losses.append(
            f"{which} says RANGE=THISANDFUTURE, but only that occurrence is changed, not the "
            "ones after it"
        )
    return losses
