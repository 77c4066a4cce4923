"""Date and date-time values of one calendar object, resolved to ISO 8601 text.

The wall time icalendar read is re-attached to the zone the TZID really denotes: icalendar
caches VTIMEZONEs per process by TZID and leaves Windows display names floating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from icalendar import Component, Timezone
from icalendar.prop import vDDDLists, vDDDTypes

from adapters.inbound.timezones import iana_name, zone
from adapters.inbound.zone_match import matching_zone
from adapters.zone_definitions import defined_zone, definition_of

# Custom zones matched to IANA ones per message, and the span their offsets must agree over
# (an open-ended series is judged on its next two years: zones' rules repeat yearly).
_MATCHED_ZONES = 3
_SPAN = timedelta(days=366 * 2)
# Custom zones read per message: clients write one per zone an event uses (Outlook one, a
# forwarded series a few); each costs a few milliseconds to rebuild and compile, so a
# stranger's message naming thousands is bounded. Past it a TZID reads as undefined.
_OWN_ZONES = 8


@dataclass(frozen=True)
class Moment:
    """A DATE, an aware DATE-TIME or a floating (naive) DATE-TIME, with the zone it is in."""

    value: date
    timezone: str | None = None
    definition: str | None = None  # the organizer's VTIMEZONE, for a zone IANA has no name for

    @property
    def all_day(self) -> bool:
        """Return whether this is a DATE, not a DATE-TIME."""
        return not isinstance(self.value, datetime)

    @property
    def floating(self) -> bool:
        """Return whether this is a DATE-TIME with no zone at all (RFC 5545 floating time)."""
        return isinstance(self.value, datetime) and self.value.tzinfo is None

    def with_wall_time(self, other: Moment) -> Moment:
        """Return ``other``'s wall-clock time placed in this moment's zone."""
        if not isinstance(self.value, datetime) or not isinstance(other.value, datetime):
            return other
        return Moment(other.value.replace(tzinfo=self.value.tzinfo), self.timezone, self.definition)

    def local_text(self) -> str:
        """Return ISO text in the value's own zone (offset included when it has one)."""
        return self.value.isoformat()

    def instant_text(self) -> str:
        """Return ISO text that is equal for equal instants: aware values converted to UTC."""
        value = self.value
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).isoformat()
        return value.isoformat()

    def utc(self) -> datetime:
        """Return an aware UTC datetime; DATE means midnight, floating is taken as UTC."""
        value = self.value
        if not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def plus(self, duration: timedelta) -> Moment:
        """Return this moment moved by an RFC 5545 duration (days nominal, the rest exact)."""
        try:
            moved = self.value + timedelta(days=duration.days)
            if isinstance(moved, datetime):
                exact = duration - timedelta(days=duration.days)
                if moved.tzinfo is None:
                    moved = moved + exact
                else:
                    moved = (moved.astimezone(UTC) + exact).astimezone(moved.tzinfo)
        except OverflowError:
            return self
        return Moment(moved, self.timezone, self.definition)


def first(value: object) -> object:
    """Return the first of a repeated property (icalendar gives a list), else the value."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _tzid(param: object) -> str | None:
    """Return a TZID parameter as text (a repeated parameter counts by its first value)."""
    param = first(param)
    return param if isinstance(param, str) and param else None


class Zones:
    """Resolves the date-time properties of one calendar object against its TZIDs."""

    def __init__(self, calendars: Sequence[Component]) -> None:
        self._calendars = calendars
        self._vtimezones: dict[str, Timezone] | None = None
        self._built: dict[str, tuple[str, tzinfo] | None] = {}
        self._matches: dict[str, str | None] = {}
        self._read = 0  # the message's own VTIMEZONEs read so far (bounded: _OWN_ZONES)

    def moment(self, prop: object) -> Moment | None:
        """Return the value of a DTSTART-like property, or None if it is missing or broken."""
        prop = first(prop)
        if not isinstance(prop, vDDDTypes):
            return None
        return self._resolve(prop.dt, _tzid(prop.params.get("TZID")))

    def moments(self, prop: object) -> list[Moment]:
        """Return every value of RDATE/EXDATE properties (periods by their start)."""
        props = prop if isinstance(prop, list) else [prop]
        found: list[Moment] = []
        for item in props:
            if not isinstance(item, vDDDLists):
                continue
            tzid = _tzid(item.params.get("TZID"))
            for entry in item.dts:
                value = entry.dt[0] if isinstance(entry.dt, tuple) else entry.dt
                moment = self._resolve(value, tzid)
                if moment is not None:
                    found.append(moment)
        return found

    def _resolve(self, value: object, tzid: str | None) -> Moment | None:
        if not isinstance(value, date):
            return None
        if not isinstance(value, datetime):
            return Moment(value)
        if tzid is None:  # a time with Z is UTC; one without is floating
            return Moment(value, None if value.tzinfo is None else "UTC")
        wall = value.replace(tzinfo=None)
        name = iana_name(tzid) or self._matched(tzid, wall)
        if name is not None:
            return Moment(wall.replace(tzinfo=zone(name)), name)
        own = self._own_zone(tzid)
        if own is None:
            # An undefined TZID leaves the time floating: guessing UTC would shift the meeting.
            return Moment(wall, tzid)
        definition, where = own
        return Moment(wall.replace(tzinfo=where), tzid, definition)

    def _matched(self, tzid: str, wall: datetime) -> str | None:
        """Return the IANA zone whose offsets the message's own VTIMEZONE keeps, or None.

        Written out under that name, a series keeps its wall-clock time in every client; in
        UTC it would drift an hour at each change. Searching costs ~10-50 ms (every IANA zone
        is compared), so only the first few custom zones of a message are searched: a cost
        bound for strangers' mail.
        """
        if tzid not in self._matches:
            own = self._own_zone(tzid)
            found = None
            if own is not None and len(self._matches) < _MATCHED_ZONES:
                first = wall.replace(tzinfo=own[1])
                found = matching_zone(own[1], first, first + _SPAN)
            self._matches[tzid] = found
        return self._matches[tzid]

    def _own_zone(self, tzid: str) -> tuple[str, tzinfo] | None:
        """Return the message's own definition of ``tzid``, cleaned, and its tzinfo, or None."""
        if tzid not in self._built:
            vtimezone = self._definitions().get(tzid)
            if vtimezone is not None and self._read >= _OWN_ZONES:
                vtimezone = None
            self._read += vtimezone is not None
            definition = None if vtimezone is None else definition_of(vtimezone)
            where = None if definition is None else defined_zone(definition)
            self._built[tzid] = None if definition is None or where is None else (definition, where)
        return self._built[tzid]

    def _definitions(self) -> dict[str, Timezone]:
        if self._vtimezones is None:
            self._vtimezones = {
                str(sub.get("TZID")): sub
                for calendar in self._calendars
                for sub in calendar.subcomponents
                if isinstance(sub, Timezone) and sub.get("TZID") is not None
            }
        return self._vtimezones
