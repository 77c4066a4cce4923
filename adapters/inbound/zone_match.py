"""The IANA zone that keeps a custom VTIMEZONE's offsets, for a TZID no table names.

Exchange and CDO write zones as "GMT -0500 (Standard) / GMT -0400 (Daylight)" with their own
VTIMEZONE. Written out again under an IANA name whose offsets agree on every day of the event's
span, a series stays right in every client (a UTC series would drift at each DST change).
"""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

_STEP = timedelta(days=7)  # DST changes are months apart (Ramadan pauses weeks): weekly sees each
_LONGEST_SPAN = timedelta(days=366 * 2)
_SECOND = timedelta(seconds=1)


@cache
def _candidates() -> tuple[str, ...]:
    """Return IANA zones, the ones Windows zones map to first (the names people know).

    Several zones share a rule (New York, Toronto, Grand Turk): the first Windows name in
    alphabetical order decides, so the choice is the same on every run.
    """
    known = [WINDOWS_TO_OLSON[key] for key in sorted(WINDOWS_TO_OLSON)]
    every = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )
    return tuple(dict.fromkeys(n for n in (*known, *every) if n in set(every)))


def _offset(moment: datetime, zone: tzinfo) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


def matching_zone(own: tzinfo, first: datetime, last: datetime) -> str | None:
    """Return an IANA zone with ``own``'s UTC offsets from ``first`` to ``last``, or None.

    ``first`` and ``last`` are aware; the span is capped at two years (the rules of a zone
    repeat yearly). A custom VTIMEZONE's tzinfo costs about a millisecond a lookup, so its
    offsets are read once a week and at the second of each change, never for every candidate.
    """
    start = first.astimezone(UTC)
    end = min(last.astimezone(UTC), start + _LONGEST_SPAN)
    samples, moment = [], start
    while moment <= end:
        samples.append(moment)
        moment += _STEP
    offsets = [_offset(s, own) for s in samples]
    if None in offsets:
        return None
    points = list(zip(samples, offsets, strict=True))
    points += _changes(own, points)
    for name, zone in _candidate_zones():
        if all(_offset(s, zone) == w for s, w in points):
            return name
    return None


@cache
def _candidate_zones() -> tuple[tuple[str, tzinfo], ...]:
    """Return the candidates' zones, loaded once: ZoneInfo keeps only a few strongly, and
    reading ~400 zone files again for each custom zone took 150 ms (~2 MB held instead)."""
    return tuple((name, zoneinfo.ZoneInfo(name)) for name in _candidates())


def _changes(
    own: tzinfo, points: list[tuple[datetime, timedelta | None]]
) -> list[tuple[datetime, timedelta | None]]:
    """Return the last second before and the first second of each offset change of ``own``.

    Zones with one rule but another hour of change (Havana changes at midnight, New York at
    two) agree on every sample; they differ within a second of the change.
    """
    found: list[tuple[datetime, timedelta | None]] = []
    for (low, before), (high, after) in itertools.pairwise(points):
        if after == before:
            continue
        while high - low > _SECOND:
            middle = low + _SECOND * ((high - low) // _SECOND // 2)
            if _offset(middle, own) == before:
                low = middle
            else:
                high = middle
        found += [(low, before), (high, after)]
    return found
