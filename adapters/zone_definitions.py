"""Organizers' own VTIMEZONEs: read as offsets, kept as a clean definition, written back out.

A TZID that no table names ("Customized Time Zone", an Exchange "GMT -0500 (Standard) / ...")
and that matches no IANA zone is only defined by the VTIMEZONE the organizer sent. Written
in UTC, a recurring series would drift an hour at every change, so that definition travels
with the event and goes out again. It comes from strangers: it is rebuilt from the parts
RFC 5545 gives a VTIMEZONE, within fixed bounds, and dropped whole if anything is off.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

from dateutil.rrule import YEARLY, rrule
from icalendar import Component, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.prop import vDDDLists, vRecur, vUTCOffset

from adapters.zone_tables import MOST_COUNT, Observance, ZoneTable, rule_parts

# Bounds on a stranger's definition: Outlook and Google write two observances, Apple a few
# more; zones with decades of history listed one by one stay well within these.
_MOST_OBSERVANCES = 64
_MOST_RDATES = 512
_LONGEST_TZID = 200
_LONGEST_NAME = 64
# Offsets change at most a few times a year: a rule that fires more often costs dateutil a
# step per firing, for every lookup (FREQ=MINUTELY takes minutes), so only yearly rules with
# one change a year are read: one month, weekday and time of day, at most a week of month
# days (Apple's "BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU").
_RULE_PARTS = {"FREQ": 1, "INTERVAL": 1, "UNTIL": 1, "COUNT": 1, "WKST": 1, "BYMONTH": 1}
_RULE_PARTS |= {"BYDAY": 1, "BYMONTHDAY": 7, "BYHOUR": 1, "BYMINUTE": 1, "BYSECOND": 1}

# Tables of definitions read lately, by content (icalendar caches VTIMEZONEs by TZID for the
# whole process, so two senders' different "Customized Time Zone" would collide), bounded in
# bytes: a table's size is what it may grow to, not what it holds now.
_CACHE_BYTES = 8 * 1024 * 1024
_CACHE: OrderedDict[str, ZoneTable] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _cost(definition: str, table: ZoneTable) -> int:
    return 2 * len(definition) + table.size


def _cached(definition: str, build: Callable[[], ZoneTable | None]) -> ZoneTable | None:
    with _CACHE_LOCK:
        found = _CACHE.get(definition)
        if found is not None:
            _CACHE.move_to_end(definition)
            return found
    table = build()
    if table is None:
        return None
    with _CACHE_LOCK:
        _CACHE[definition] = table
        total = sum(_cost(key, value) for key, value in _CACHE.items())
        while total > _CACHE_BYTES and len(_CACHE) > 1:
            key, value = _CACHE.popitem(last=False)
            total -= _cost(key, value)
    return table


def cached_bytes() -> int:
    """Return the bytes the zone cache accounts for (its bound is _CACHE_BYTES)."""
    with _CACHE_LOCK:
        return sum(_cost(key, value) for key, value in _CACHE.items())


def tzinfo_of(vtimezone: Timezone) -> tzinfo | None:
    """Return the offsets one VTIMEZONE defines, as a zone table, or None if it is unusable."""
    definition = definition_of(vtimezone)
    return None if definition is None else defined_zone(definition)


def safe_tzid(tzid: str) -> bool:
    """Return whether a TZID can be written as a parameter value as it is.

    A parameter value may be quoted but cannot hold a DQUOTE or a control character.
    """
    return (
        0 < len(tzid) <= _LONGEST_TZID
        and tzid == tzid.strip()
        and '"' not in tzid
        and all(unicodedata.category(c)[0] != "C" for c in tzid)
    )


def _first(value: object) -> object:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _onsets(sub: Component, start: datetime) -> list[datetime] | None:
    """Return the RDATE onsets of one observance (its DTSTART first), None if any is odd."""
    props = sub.get("RDATE")
    found: list[datetime] = []
    for prop in props if isinstance(props, list) else [props] if props is not None else []:
        if not isinstance(prop, vDDDLists):
            return None
        for entry in prop.dts:
            value = entry.dt
            if not isinstance(value, datetime) or value.tzinfo is not None:
                return None  # RFC 5545: local time, no TZID, no periods
            found.append(value)
    # ical.js reads one value per RDATE line and, with any RDATE, forgets the DTSTART onset.
    return list(dict.fromkeys([start, *found])) if found else []


def _yearly(rule: object) -> bool:
    """Return whether an observance's RRULE is a plain yearly rule (see _RULE_PARTS)."""
    if not isinstance(rule, vRecur) or rule.get("FREQ") != ["YEARLY"]:
        return False
    count = rule.get("COUNT")
    if count and not 0 < int(count[0]) <= MOST_COUNT:
        return False  # a counted rule is walked from its start to find its end
    return all(len(values) <= _RULE_PARTS.get(part, 0) for part, values in rule.items())


def _offsets(sub: Component) -> tuple[timedelta, timedelta] | None:
    before, after = _first(sub.get("TZOFFSETFROM")), _first(sub.get("TZOFFSETTO"))
    if not isinstance(before, vUTCOffset) or not isinstance(after, vUTCOffset):
        return None
    return before.td, after.td


def _read(sub: Component) -> Observance | None:
    """Return one observance's offsets and onsets, or None if anything is off or unbounded."""
    offsets = _offsets(sub)
    value = getattr(_first(sub.get("DTSTART")), "dt", None)
    if offsets is None or not isinstance(value, datetime) or value.tzinfo is not None:
        return None
    onsets = _onsets(sub, value)
    rule = _first(sub.get("RRULE"))
    if onsets is None or (rule is not None and not _yearly(rule)):
        return None
    name = _first(sub.get("TZNAME"))
    observance = Observance(
        *offsets,
        daylight=sub.name == "DAYLIGHT",
        name=" ".join(name.split())[:_LONGEST_NAME] if isinstance(name, str) else None,
        start=value,
        listed=tuple(onsets),
    )
    if not isinstance(rule, vRecur):
        return observance
    parts = rule_parts(rule, value)
    interval = int(_first(rule.get("INTERVAL")) or 1)  # type: ignore[call-overload]
    until, count = _first(rule.get("UNTIL")), _first(rule.get("COUNT"))
    if parts is None or interval < 1 or not isinstance(until, date | None):
        return None
    try:  # dateutil refuses impossible parts (BYMONTH=13) only when asked for a year's dates
        rrule(YEARLY, dtstart=datetime(value.year, 1, 1), count=1, **parts)
    except (ValueError, TypeError):
        return None
    return Observance(
        observance.before,
        observance.after,
        observance.daylight,
        observance.name,
        value,
        observance.listed,
        parts,
        interval,
        until,
        None if count is None else int(count),  # type: ignore[call-overload]
    )


def _observance(sub: Component) -> Component | None:
    """Return one observance rebuilt from its RFC 5545 parts, or None if unusable."""
    observance = _read(sub)
    if observance is None:
        return None
    start, before, after = observance.start, observance.before, observance.after
    clean: Component = TimezoneDaylight() if sub.name == "DAYLIGHT" else TimezoneStandard()
    clean.add("DTSTART", start)
    clean.add("TZOFFSETFROM", before)
    clean.add("TZOFFSETTO", after)
    rule = _first(sub.get("RRULE"))
    if rule is not None:
        clean.add("RRULE", rule)
    for onset in _onsets(sub, start) or []:
        clean.add("RDATE", onset)
    name = _first(sub.get("TZNAME"))
    if isinstance(name, str) and name.strip():
        clean.add("TZNAME", " ".join(name.split())[:_LONGEST_NAME])
    return clean


def _table(vtimezone: Timezone) -> ZoneTable | None:
    """Return the zone table of a clean VTIMEZONE, or None if an observance is unusable."""
    observances = []
    for sub in vtimezone.subcomponents:
        observance = _read(sub) if sub.name in ("STANDARD", "DAYLIGHT") else None
        if observance is None:
            return None
        observances.append(observance)
    return ZoneTable(observances) if observances else None


def definition_of(vtimezone: Timezone) -> str | None:
    """Return the VTIMEZONE rebuilt from its TZID and observances, or None if unusable."""
    tzid = _first(vtimezone.get("TZID"))
    subs = [s for s in vtimezone.subcomponents if s.name in ("STANDARD", "DAYLIGHT")]
    if not isinstance(tzid, str) or not safe_tzid(str(tzid)):
        return None
    if not 0 < len(subs) <= _MOST_OBSERVANCES:
        return None
    clean = Timezone()
    clean.add("TZID", str(tzid))
    listed = 0
    for sub in subs:
        observance = _observance(sub)
        if observance is None:
            return None
        rdates = observance.get("RDATE")
        listed += len(rdates) if isinstance(rdates, list) else int(rdates is not None)
        clean.add_component(observance)
    if listed > _MOST_RDATES:
        return None
    text: str = clean.to_ical().decode("utf-8")
    return text if defined_zone(text) is not None else None


def vtimezone_of(definition: str) -> Timezone | None:
    """Return the VTIMEZONE component of a stored definition, to write into a calendar."""
    try:
        vtimezone = Timezone.from_ical(definition)
    except ValueError:
        return None
    return vtimezone if isinstance(vtimezone, Timezone) else None


def defined_zone(definition: str) -> tzinfo | None:
    """Return the tzinfo of a definition :func:`definition_of` returned, or None.

    The zone is a table of its changes computed only for the decades times are read in
    (:mod:`adapters.zone_tables`): never a walk of the rules from their start per lookup.
    """

    def build() -> ZoneTable | None:
        vtimezone = vtimezone_of(definition)
        return None if vtimezone is None else _table(vtimezone)

    return _cached(definition, build)
