"""One calendar body's text → its VCALENDAR objects and VEVENTs, with icalendar 7."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from icalendar import Calendar, Component
from icalendar.parser import Contentline, Parameters
from icalendar.parser.ical.calendar import CalendarIcalParser

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


class _Parser(CalendarIcalParser):
    """icalendar's parser, minus its time-zone work: Zones (adapters.inbound.times) resolves
    every TZID itself, within bounds, from the wall time and the TZID parameter kept here.

    icalendar builds a dateutil zone for each unknown VTIMEZONE (3 ms each: 2,000 in one
    message took 6 s) and keeps it for the life of the process, first sender wins; and it
    looks every TZID up again for each value (20,000 EXDATEs in a custom zone: 5 s of
    failed tz database lookups).
    """

    def handle_end_component(self, vals: str) -> None:
        super().handle_end_component("X-VTIMEZONE" if vals.upper() == "VTIMEZONE" else vals)

    def parse_and_add_property(
        self, name: str, params: Parameters, val: str, tzid: str | None, line: Contentline
    ) -> None:
        super().parse_and_add_property(name, params, val, None, line)


class _StrangersCalendar(Calendar):
    @classmethod
    def _get_ical_parser(cls, st: str | bytes) -> CalendarIcalParser:
        return _Parser(st, cls._get_component_factory(), cls.types_factory)


def _parse(text: str) -> Sequence[Component] | Unusable:
    # Blank or whitespace-only lines around the object make icalendar refuse it; and it
    # treats a str without line breaks as a file path to read: the final CRLF prevents that.
    text = text.strip() + "\r\n"
    try:
        return _StrangersCalendar.from_ical(text, multiple=True)
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
