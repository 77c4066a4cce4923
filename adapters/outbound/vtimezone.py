"""VTIMEZONEs as Google and Outlook write them: yearly RRULEs, RDATEs only where rules changed.

Thunderbird's ical.js reads one value per RDATE line and Outlook builds a series' zone from
the yearly rules, so a zone's current rule goes out as one STANDARD and one DAYLIGHT RRULE
(correct for ever, past 2038); only the transitions before that rule took effect, within the
years the invite needs, are listed, one RDATE value per line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.cal.component import Component

from adapters.outbound.posix_tz import PosixZone, footer
from adapters.zone_definitions import vtimezone_of
from domain.outbound import OutboundInvite

_OLDEST_RULE_YEAR = 1970
# zoneinfo follows the TZ string from 2038 for nearly every zone: checked a little past that.
_CHECKED_UNTIL = 2040
_OLDEST_LISTED_YEAR = 1800
_SCAN_UNTIL = 2100  # transitions listed one by one end here (zones with no usable rule)
_DAY, _SECOND = timedelta(days=1), timedelta(seconds=1)


@dataclass(frozen=True)
class _Transition:
    at: datetime  # naive UTC
    before: timedelta
    after: timedelta
    dst: bool = False
    name: str = ""


def _offset(point: datetime, zone: ZoneInfo) -> timedelta:
    return point.astimezone(zone).utcoffset() or timedelta(0)  # a ZoneInfo always has one


@lru_cache(maxsize=8192)
def _transitions(key: str, year: int) -> tuple[_Transition, ...]:
    """Return the offset changes zoneinfo knows in ``year`` (UTC instants in (1 Jan, 1 Jan])."""
    zone, found = ZoneInfo(key), []
    point, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    offset = _offset(point, zone)
    while point < end:
        following = min(point + _DAY, end)
        if _offset(following, zone) != offset:
            low, high = point, following  # the change is in (low, high]: bisected to the second
            while high - low > _SECOND:
                middle = low + _SECOND * ((high - low) // _SECOND // 2)
                if _offset(middle, zone) != offset:
                    high = middle
                else:
                    low = middle
            local = high.astimezone(zone)
            after = _offset(high, zone)
            found.append(
                _Transition(
                    high.replace(tzinfo=None), offset, after, bool(local.dst()), str(local.tzname())
                )
            )
            offset = after
        point = following
    return tuple(found)


def _ruled(rules: PosixZone, year: int) -> tuple[_Transition, ...]:
    """Return the offset changes the TZ string's rules make in ``year``."""
    if rules.to_dst is None or rules.to_std is None or rules.dst_offset is None:
        return ()
    std, dst = rules.std_offset, rules.dst_offset
    changes = [
        _Transition(rules.to_dst.local(year) - std, std, dst),
        _Transition(rules.to_std.local(year) - dst, dst, std),
    ]
    return tuple(sorted(changes, key=lambda t: t.at))


def _same(rules: PosixZone, key: str, year: int) -> bool:
    real = [(t.at, t.before, t.after) for t in _transitions(key, year)]
    return real == [(t.at, t.before, t.after) for t in _ruled(rules, year)]


@cache
def rule_start(key: str) -> int | None:
    """Return the first year (1970 at the earliest) from which the TZ string's rules hold."""
    rules = footer(key)
    if rules is None or not _same(rules, key, _CHECKED_UNTIL):
        return None
    if rules.to_dst is not None and None in (
        rules.to_dst.rrule(),
        rules.to_std and rules.to_std.rrule(),
    ):
        return None
    year = _CHECKED_UNTIL
    while year > _OLDEST_RULE_YEAR and _same(rules, key, year - 1):
        year -= 1
    return year


def _observance(
    daylight: bool, start: datetime, before: timedelta, after: timedelta, name: str
) -> Component:
    sub: Component = TimezoneDaylight() if daylight else TimezoneStandard()
    sub.add("DTSTART", start)
    sub.add("TZOFFSETFROM", before)
    sub.add("TZOFFSETTO", after)
    if name:
        sub.add("TZNAME", name)
    return sub


def _ruled_observances(rules: PosixZone, year: int) -> list[Component]:
    if rules.to_dst is None or rules.to_std is None or rules.dst_offset is None:
        start = datetime(year, 1, 1)
        return [_observance(False, start, rules.std_offset, rules.std_offset, rules.std_name)]
    std, dst, dst_name = rules.std_offset, rules.dst_offset, rules.dst_name or ""
    found = []
    for change, before, after, name in (
        (rules.to_dst, std, dst, dst_name),
        (rules.to_std, dst, std, rules.std_name),
    ):
        sub = _observance(after > before, change.local(year), before, after, name)
        sub.add("RRULE", change.rrule())
        found.append(sub)
    return found


def _listed_observances(key: str, first: int, last: int) -> list[Component]:
    """Return the offset in force on 1 January of ``first`` and each change up to ``last``."""
    opening = datetime(first, 1, 1, tzinfo=UTC).astimezone(ZoneInfo(key))
    offset = opening.utcoffset() or timedelta(0)
    found = [
        _observance(
            bool(opening.dst()), opening.replace(tzinfo=None), offset, offset, str(opening.tzname())
        )
    ]
    groups: dict[tuple[bool, timedelta, timedelta, str], list[datetime]] = defaultdict(list)
    for year in range(first, min(last, _SCAN_UNTIL) + 1):
        for t in _transitions(key, year):
            groups[(t.dst, t.before, t.after, t.name)].append(t.at + t.before)
    for (dst, before, after, name), starts in groups.items():
        sub = _observance(dst, starts[0], before, after, name)
        # One value per line: ical.js reads only a line's first. And with any RDATE, ical.js
        # forgets the DTSTART onset (RFC 5545 counts it), so the DTSTART is listed too.
        for start in starts if len(starts) > 1 else ():
            sub.add("RDATE", start)
        found.append(sub)
    return found


def vtimezone(key: str, first: int, last: int) -> Timezone:
    """Return the VTIMEZONE of IANA zone ``key`` for times in the years ``first`` to ``last``."""
    rules, start = footer(key), rule_start(key)
    first = min(max(first, _OLDEST_LISTED_YEAR), 9998)  # the opening offset must be a datetime
    observances = []
    if rules is None or start is None or start > first:
        listed_until = last if start is None else start - 1
        observances += _listed_observances(key, first, listed_until)
    if rules is not None and start is not None:
        observances += _ruled_observances(rules, start)
    observances.sort(key=lambda sub: (sub["DTSTART"].to_ical(), sub.name))  # naive, 4-digit years
    zone = Timezone()
    zone.add("TZID", key)
    for sub in observances:
        zone.add_component(sub)
    return zone


def add_timezones(
    calendar: Calendar, first: date, last: date, defined: Mapping[str, str] | None = None
) -> None:
    """Put a VTIMEZONE for every TZID the calendar uses first, sorted by TZID.

    ``defined`` maps the TZIDs IANA has no name for to the organizer's own definitions.
    """
    zones: list[Component] = []
    for key in sorted(calendar.get_used_tzids()):
        own = (defined or {}).get(key)
        found = vtimezone_of(own) if own is not None else vtimezone(key, first.year, last.year)
        if found is not None:
            zones.append(found)
    calendar.subcomponents[:0] = zones


def definitions_of(invite: OutboundInvite) -> dict[str, str]:
    """Return the organizer-defined zones the versions' details are written in, by TZID."""
    found: dict[str, str] = {}
    for details in (invite.details, *(i.details for i in invite.instances)):
        if details is not None and details.timezone and details.zone_definition:
            found.setdefault(details.timezone, details.zone_definition)
    return found
