"""The ISO 8601 texts of EventDetails as the dates and date-times an invite is written in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

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


def zone_label(where: tzinfo) -> str:
    """Return the name people read for a zone: the IANA key, or UTC."""
    return where.key if isinstance(where, ZoneInfo) else "UTC"


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
    return moment(details.start, zone(details.timezone), all_day=details.all_day)


def end_of(details: EventDetails) -> date | None:
    """Return the end of ``details`` as it is written (in the start's zone), or None."""
    if details.end is None:
        return None
    return moment(details.end, zone(details.timezone), all_day=details.all_day)


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
    return value.strftime("%A %d %B %Y")


def when_text(details: EventDetails) -> str | None:
    """Return when the event happens, for people: days, hours and the zone."""
    start, end = start_of(details), end_of(details)
    if start is None:
        return None
    if not isinstance(start, datetime):
        # DTEND of an all-day event is the day after the last one.
        last = end - _ONE_DAY if end is not None and not isinstance(end, datetime) else None
        return _day(start) if last is None or last <= start else f"{_day(start)}{_DASH}{_day(last)}"
    label = "local time" if start.tzinfo is None else zone_label(start.tzinfo)
    text = f"{_day(start)}, {start:%H:%M}"
    if isinstance(end, datetime) and end.date() == start.date():
        text += f"{_DASH}{end:%H:%M}"
    elif isinstance(end, datetime):
        text += f"{_DASH}{_day(end)}, {end:%H:%M}"
    return f"{text} ({label})"
