"""The ISO 8601 texts of EventDetails as the dates and date-times an invite is written in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from adapters.zone_definitions import defined_zone
from domain.values import EventDetails

_DASH = " \N{EN DASH} "
_ONE_DAY = timedelta(days=1)


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str | None) -> tzinfo:
    """Return the zone to write zoned times in: the IANA zone named, otherwise UTC.

    A TZID that is not an IANA name cannot get a VTIMEZONE from the tz database, and the
    instant is all that is known for sure, so such times go out in UTC.
    """
    # Looked up in the list, never handed to ZoneInfo as a path first.
    if name is None or name == "UTC" or name not in _iana_names():
        return UTC
    return ZoneInfo(name)


def zone_of(details: EventDetails) -> tzinfo:
    """Return the zone ``details`` are written in: the organizer's own, if IANA has none."""
    if details.zone_definition is not None and details.timezone is not None:
        own = defined_zone(details.zone_definition)
        if own is not None:
            return _Defined(own, details.timezone)
    return zone(details.timezone)


class _Defined(tzinfo):
    """An organizer-defined zone under its TZID (which icalendar writes and people read)."""

    def __init__(self, rules: tzinfo, tzid: str) -> None:
        self._rules, self.zone = rules, tzid  # ``zone``: the attribute icalendar names it by

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self._rules.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self._rules.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self._rules.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        local = self._rules.fromutc(dt.replace(tzinfo=self._rules))
        return local.replace(tzinfo=self)

    def __repr__(self) -> str:
        return f"<zone {self.zone!r} as the organizer defined it>"


def zone_label(where: tzinfo) -> str:
    """Return the name people read for a zone: the IANA key, the organizer's TZID, or UTC."""
    if isinstance(where, ZoneInfo):
        return where.key
    return where.zone if isinstance(where, _Defined) else "UTC"


def moment(text: str, where: tzinfo, *, all_day: bool = False) -> date:
    """Return ``text`` as a DATE, a floating date-time, or the same instant in ``where``."""
    if "T" not in text:
        return date.fromisoformat(text)
    value = datetime.fromisoformat(text)
    if all_day:
        return value.date()
    return value if value.tzinfo is None else value.astimezone(where)


def start_of(details: EventDetails) -> date | None:
    """Return the start of ``details`` as it is written, or None."""
    if details.start is None:
        return None
    return moment(details.start, zone_of(details), all_day=details.all_day)


def end_of(details: EventDetails) -> date | None:
    """Return the end of ``details`` as it is written (in the start's zone), or None."""
    if details.end is None:
        return None
    return moment(details.end, zone_of(details), all_day=details.all_day)


def span_of(details: EventDetails) -> timedelta | None:
    """Return how long the event lasts (wall-clock, as both ends share one zone), or None."""
    start, end = start_of(details), end_of(details)
    if start is None or end is None or not same_kind(start, end):
        return None
    return end - start


def same_kind(first: date, second: date) -> bool:
    """Return whether two values can be compared: both dates, floating or zoned date-times."""
    if isinstance(first, datetime) and isinstance(second, datetime):
        return (first.tzinfo is None) == (second.tzinfo is None)
    return not isinstance(first, datetime) and not isinstance(second, datetime)


def _day(value: date) -> str:
    # Built from parts so the day has no leading zero ("Monday 3 March 2025").
    return f"{value:%A} {value.day} {value:%B %Y}"


def _short_day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _zone_text(start: datetime) -> str:
    return "local time" if start.tzinfo is None else zone_label(start.tzinfo)


def when_text(details: EventDetails) -> str | None:
    """Return when the event happens, for people: days, hours and the zone."""
    start, end = start_of(details), end_of(details)
    if start is None:
        return None
    if not isinstance(start, datetime):
        # DTEND of an all-day event is the day after the last one.
        last = end - _ONE_DAY if end is not None and not isinstance(end, datetime) else None
        days = _day(start) if last is None or last <= start else f"{_day(start)}{_DASH}{_day(last)}"
        return f"{days} (all day)"
    text = f"{_day(start)}, {start:%H:%M}"
    if isinstance(end, datetime) and end.date() == start.date():
        text += f"{_DASH}{end:%H:%M}"
    elif isinstance(end, datetime):
        text += f"{_DASH}{_day(end)}, {end:%H:%M}"
    return f"{text} ({_zone_text(start)})"


def short_when(details: EventDetails) -> str | None:
    """Return when the event starts, short enough for a Subject: "Tue 10 Mar 2026 10:00
    (Europe/Paris)", or the day alone for an all-day event."""
    start = start_of(details)
    if start is None:
        return None
    if not isinstance(start, datetime):
        return _short_day(start)
    return f"{_short_day(start)} {start:%H:%M} ({_zone_text(start)})"
