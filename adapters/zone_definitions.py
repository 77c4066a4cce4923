"""Organizers' own VTIMEZONEs: read as offsets, kept as a clean definition, written back out.

A TZID that no table names ("Customized Time Zone", an Exchange "GMT -0500 (Standard) / ...")
and that matches no IANA zone is only defined by the VTIMEZONE the organizer sent. Written
in UTC, a recurring series would drift an hour at every change, so that definition travels
with the event and goes out again. It comes from strangers: it is rebuilt from the parts
RFC 5545 gives a VTIMEZONE, within fixed bounds, and dropped whole if anything is off.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, tzinfo

from icalendar import Component, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.prop import vDDDLists, vRecur, vUTCOffset
from icalendar.timezone import tzp

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

_CACHE: dict[bytes, tzinfo] = {}
_CACHE_SIZE = 256


def tzinfo_of(vtimezone: Timezone) -> tzinfo | None:
    """Return a tzinfo built from one VTIMEZONE, or None if it is unusable.

    icalendar caches VTIMEZONEs by TZID for the whole process, so two senders' different
    "Customized Time Zone" definitions would collide; this cache is keyed by content instead.
    """
    key = vtimezone.to_ical()
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    try:
        built: tzinfo = vtimezone.to_tz(tzp, lookup_tzid=False)
    except Exception:  # a broken VTIMEZONE of any kind means "no usable offsets"
        return None
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = built
    return built


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
    return all(len(values) <= _RULE_PARTS.get(part, 0) for part, values in rule.items())


def _observance(sub: Component) -> Component | None:
    start = _first(sub.get("DTSTART"))
    before, after = _first(sub.get("TZOFFSETFROM")), _first(sub.get("TZOFFSETTO"))
    if not isinstance(before, vUTCOffset) or not isinstance(after, vUTCOffset):
        return None
    value = getattr(start, "dt", None)
    if not isinstance(value, datetime) or value.tzinfo is not None:
        return None
    onsets = _onsets(sub, value)
    rule = _first(sub.get("RRULE"))
    if onsets is None or (rule is not None and not _yearly(rule)):
        return None
    clean: Component = TimezoneDaylight() if sub.name == "DAYLIGHT" else TimezoneStandard()
    clean.add("DTSTART", value)
    clean.add("TZOFFSETFROM", before.td)
    clean.add("TZOFFSETTO", after.td)
    if rule is not None:
        clean.add("RRULE", rule)
    for onset in onsets:
        clean.add("RDATE", onset)
    name = _first(sub.get("TZNAME"))
    if isinstance(name, str) and name.strip():
        clean.add("TZNAME", " ".join(name.split())[:_LONGEST_NAME])
    return clean


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
    if listed > _MOST_RDATES or tzinfo_of(clean) is None:
        return None
    text: str = clean.to_ical().decode("utf-8")
    return text


def vtimezone_of(definition: str) -> Timezone | None:
    """Return the VTIMEZONE component of a stored definition, to write into a calendar."""
    try:
        vtimezone = Timezone.from_ical(definition)
    except ValueError:
        return None
    return vtimezone if isinstance(vtimezone, Timezone) else None


def defined_zone(definition: str) -> tzinfo | None:
    """Return the tzinfo of a definition :func:`definition_of` returned, or None."""
    vtimezone = vtimezone_of(definition)
    return None if vtimezone is None else tzinfo_of(vtimezone)
