"""An organizer-defined zone as a table of its offset changes, computed a decade at a time.

dateutil reads a VTIMEZONE by walking every rule from its DTSTART on every lookup (Outlook's
start in 1601 costs ~1.5 ms a lookup, a stranger's start in year 1 more): a message with
thousands of EXDATEs in such a zone took minutes. Here each rule is expanded only for the
decades times are actually read in, once, into sorted arrays searched by bisection; the number
of changes a zone may hold is capped, so a zone costs at most a few milliseconds and ~30 KB.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from dateutil.rrule import FR, MO, SA, SU, TH, TU, WE, YEARLY, rrule, weekday

_WEEKDAYS = {"MO": MO, "TU": TU, "WE": WE, "TH": TH, "FR": FR, "SA": SA, "SU": SU}
_EPOCH = datetime(1970, 1, 1).toordinal()
_ZERO = timedelta(0)
# Two changes a year for 500 years; a stranger's 64 rules firing weekly fill it in months.
MOST_CHANGES = 1024
_DECADE = 10
# Counted rules are expanded from their start to find their end: a bounded walk.
MOST_COUNT = 512
_ROW_BYTES = 30  # three int64 seconds and an index per change


def _seconds(moment: datetime) -> int:
    """Return a naive datetime as seconds since 1970 on its own clock."""
    days = moment.toordinal() - _EPOCH
    return days * 86400 + moment.hour * 3600 + moment.minute * 60 + moment.second


@dataclass(frozen=True)
class Observance:
    """One STANDARD or DAYLIGHT part: the offsets it changes between, and when it starts."""

    before: timedelta  # TZOFFSETFROM: the offset in use up to each onset
    after: timedelta  # TZOFFSETTO
    daylight: bool
    name: str | None
    start: datetime  # DTSTART, local time (the first onset)
    listed: tuple[datetime, ...] = ()  # RDATEs, local time
    rule: dict[str, object] | None = None  # dateutil rrule parts, for one year at a time
    interval: int = 1
    until: date | None = None  # naive local or aware UTC datetime, or a date
    count: int | None = None

    @property
    def dst(self) -> timedelta:
        """Return the daylight saving part of ``after`` (dateutil's reading: the change)."""
        return self.after - self.before if self.daylight else _ZERO


def rule_parts(rule: dict[str, list[object]], start: datetime) -> dict[str, object] | None:
    """Return dateutil parts for a yearly rule with every implied part made explicit, or None.

    A yearly rule without a day takes DTSTART's month and day, and every rule takes DTSTART's
    time of day: explicit, a year's changes can be computed from that year's first day.
    """
    try:
        months = [int(str(m)) for m in rule.get("BYMONTH", [])]
        days = [int(str(d)) for d in rule.get("BYMONTHDAY", [])]
        weekdays = [_weekday(str(d)) for d in rule.get("BYDAY", [])]
        hours = [int(str(h)) for h in rule.get("BYHOUR", [])] or [start.hour]
        minutes = [int(str(m)) for m in rule.get("BYMINUTE", [])] or [start.minute]
        seconds = [int(str(s)) for s in rule.get("BYSECOND", [])] or [start.second]
    except (ValueError, KeyError):
        return None
    parts: dict[str, object] = {"byhour": hours, "byminute": minutes, "bysecond": seconds}
    if not days and not weekdays:
        parts |= {"bymonth": months or [start.month], "bymonthday": [start.day]}
        return parts
    if months:
        parts["bymonth"] = months
    if days:
        parts["bymonthday"] = days
    if weekdays:
        parts["byweekday"] = weekdays
    return parts


def _weekday(text: str) -> weekday:
    day, nth = _WEEKDAYS[text[-2:].upper()], text[:-2]
    return day(int(nth)) if nth not in ("", "+") else day


class ZoneTable(tzinfo):
    """A tzinfo answering from a sorted table of a definition's changes (UTC and wall times).

    Shared between threads through the zone cache: decades are added under a lock, and the
    arrays are replaced whole, so a reader always sees one consistent table.
    """

    def __init__(self, observances: Sequence[Observance], *, most: int = MOST_CHANGES) -> None:
        self._observances = tuple(observances)
        self._ruled = tuple(o for o in self._observances if o.rule is not None)
        self._ends = {id(o): _end_of(o) for o in self._ruled}
        self._most = most
        self._lock = threading.Lock()
        self._decades: set[int] = set()
        self._changes: list[tuple[int, Observance]] = []
        for observance in self._observances:
            for onset in dict.fromkeys((observance.start, *observance.listed)):
                self._changes.append((_utc(onset, observance), observance))
        self._changes = sorted(self._changes, key=lambda change: change[0])[:most]
        self._publish()

    @property
    def size(self) -> int:
        """Return roughly how many bytes this table may come to hold (for the zone cache)."""
        return 1024 + 512 * len(self._observances) + _ROW_BYTES * self._most

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        if dt is None:
            return None
        return self._at_wall(dt)[1]

    def dst(self, dt: datetime | None) -> timedelta | None:
        if dt is None:
            return None
        return self._at_wall(dt)[2]

    def tzname(self, dt: datetime | None) -> str | None:
        if dt is None:
            return None
        return self._at_wall(dt)[3]

    def fromutc(self, dt: datetime) -> datetime:
        moment = dt.replace(tzinfo=None)
        self._cover(moment.year)
        utc, _, _, rows = self._table
        at = _seconds(moment)
        index = bisect_right(utc, at)
        if index == 0:
            offset = rows[0].before if rows else _ZERO
            return (moment + offset).replace(tzinfo=self)
        row = rows[index - 1]
        # In the hour a change back repeats, the second reading of a wall time is fold=1.
        fold = row.before - row.after > timedelta(seconds=at - utc[index - 1])
        return (moment + row.after).replace(tzinfo=self, fold=int(fold))

    def __repr__(self) -> str:
        return f"<ZoneTable of {len(self._observances)} observances>"

    def _at_wall(self, dt: datetime) -> tuple[int, timedelta, timedelta, str | None]:
        """Return (index, offset, dst, name) at wall time ``dt`` (fold picks the reading)."""
        moment = dt.replace(tzinfo=None)
        self._cover(moment.year)
        _, earlier, later, rows = self._table
        walls = later if dt.fold else earlier
        index = bisect_right(walls, _seconds(moment))
        if index == 0:
            return 0, (rows[0].before if rows else _ZERO), _ZERO, None
        row = rows[index - 1]
        return index, row.after, row.dst, row.name

    def _cover(self, year: int) -> None:
        """Add the changes of ``year``'s decade to the table, unless the table is full."""
        decade = year // _DECADE
        if decade in self._decades or not self._ruled:
            return
        with self._lock:
            if decade in self._decades or len(self._changes) >= self._most:
                return
            first = max(1, decade * _DECADE)
            last = min(9999, first + _DECADE - 1)
            for observance in self._ruled:
                for onset in self._onsets(observance, first, last):
                    self._changes.append((_utc(onset, observance), observance))
            self._changes.sort(key=lambda change: change[0])
            del self._changes[self._most :]
            self._decades.add(decade)
            self._publish()

    def _onsets(self, observance: Observance, first: int, last: int) -> list[datetime]:
        """Return the onsets of a rule in the years ``first`` to ``last`` (one decade)."""
        start, end = observance.start, self._ends[id(observance)]
        if last < start.year:
            return []
        found = rrule(
            YEARLY,
            dtstart=datetime(max(first, start.year), 1, 1),
            until=datetime(last, 12, 31, 23, 59, 59),
            **observance.rule or {},
        )
        return [
            onset
            for onset in found
            if start < onset
            and (onset.year - start.year) % observance.interval == 0
            and (end is None or _within(onset, end, observance))
        ]

    def _publish(self) -> None:
        utc = array("q", (at for at, _ in self._changes))
        rows = [o for _, o in self._changes]
        # A change happens at its wall time on the clock before it (fold=0): the hour a change
        # forward skips reads as after it (as dateutil and tzinfo.fromutc's default read it);
        # the hour a change back repeats reads as before it, and with fold=1 as after it.
        earlier = array("q", (at + _seconds_of(o.before) for at, o in self._changes))
        later = array("q", (at + _seconds_of(min(o.before, o.after)) for at, o in self._changes))
        self._table = (utc, earlier, later, rows)


def _utc(onset: datetime, observance: Observance) -> int:
    """Return an onset (local time, on the clock before it) in seconds since 1970 UTC."""
    return _seconds(onset) - _seconds_of(observance.before)


def _seconds_of(offset: timedelta) -> int:
    return int(offset.total_seconds())


def _end_of(observance: Observance) -> date | None:
    """Return the last onset a rule may have: UNTIL, or the COUNTth onset, or None."""
    if observance.count is None:
        return observance.until
    found = list(
        rrule(
            YEARLY,
            dtstart=observance.start,
            interval=observance.interval,
            count=min(observance.count, MOST_COUNT),
            **observance.rule or {},
        )
    )
    return found[-1] if found else observance.start


def _within(onset: datetime, end: date, observance: Observance) -> bool:
    if isinstance(end, datetime) and end.tzinfo is not None:
        utc_end = _seconds(end.astimezone(UTC).replace(tzinfo=None))
        return _utc(onset, observance) <= utc_end
    if isinstance(end, datetime):
        return onset <= end
    return onset.date() <= end
