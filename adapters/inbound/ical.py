"""One calendar body's text → its VCALENDAR objects and VEVENTs, with icalendar 7."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from icalendar import Calendar, Component

from adapters.inbound import reasons
from adapters.inbound.times import first
from domain.messages import Unusable

NOT_EVENTS = frozenset({"VTODO", "VJOURNAL", "VFREEBUSY", "VAVAILABILITY"})


@dataclass(frozen=True)
class CalendarObject:
    """The parsed VCALENDAR(s) of one body; Lotus Notes concatenates several in one file."""

    calendars: tuple[Component, ...]
    events: tuple[Component, ...]
    method: str | None = None
    prodid: str | None = None
    uid: str | None = None


def text_of(prop: object) -> str | None:
    """Return a property's text (the first one if it is repeated); None when absent or blank."""
    prop = first(prop)
    if prop is None:
        return None
    text = str(prop).strip()
    return text or None


def user_text(prop: object) -> str | None:
    """Return the text people wrote (the first if repeated) exactly; None when absent or blank."""
    prop = first(prop)
    if prop is None:
        return None
    text = str(prop)
    if not text.strip():
        return None
    # RFC 5545 escapes only \\ \; \, and \n, and icalendar leaves any other backslash as it is;
    # clients write \" for a quote, which people must not see as a backslash. (A valid \\
    # followed by a quote reads the same way once icalendar has unescaped it: a rare loss.)
    return text.replace('\\"', '"')


def _parse(text: str) -> Sequence[Component] | Unusable:
    # Blank or whitespace-only lines around the object make icalendar refuse it; and it
    # treats a str without line breaks as a file path to read: the final CRLF prevents that.
    text = text.strip() + "\r\n"
    try:
        return Calendar.from_ical(text, multiple=True)
    except Exception as error:  # icalendar raises several types on hostile input
        return reasons.malformed(
            f"the calendar part is not valid iCalendar ({type(error).__name__}: "
            f"{reasons.quote(error, 120)})"
        )


def read_calendar(text: str) -> CalendarObject | Unusable:
    """Parse one calendar body; report what makes it unusable as an event."""
    parsed = _parse(text)
    if isinstance(parsed, Unusable):
        return parsed
    if not parsed:
        return reasons.malformed(
            "the calendar part has no complete BEGIN:VCALENDAR ... END:VCALENDAR block "
            "(it looks truncated)"
        )
    events: list[Component] = []
    others: list[str] = []
    for top in parsed:
        for component in [top] if top.name == "VEVENT" else top.subcomponents:
            if component.name == "VEVENT":
                events.append(component)
            elif component.name in NOT_EVENTS:
                others.append(component.name)
    if not events:
        if others:
            return reasons.not_an_event(others)
        return reasons.malformed("the calendar holds no event (no VEVENT component)")
    calendars = tuple(top for top in parsed if top.name == "VCALENDAR")
    return CalendarObject(
        calendars=calendars,
        events=tuple(events),
        method=next((m for c in calendars if (m := text_of(c.get("METHOD")))), None),
        prodid=next((p for c in calendars if (p := text_of(c.get("PRODID")))), None),
        uid=next((u for c in calendars if (u := text_of(c.get("UID")))), None),
    )
