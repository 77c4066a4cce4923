"""A custom VTIMEZONE maps to the IANA zone whose offsets agree over the event's span."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from icalendar import Calendar

from adapters.inbound.zone_match import matching_zone
from adapters.zone_definitions import tzinfo_of
from tests.conftest import CORPUS
from tests.interop.corpus_cases import CUSTOM_ZONE, original


def custom_zone() -> Calendar:
    """Return the corpus calendar whose TZID is "GMT -0500 (Standard) / GMT -0400 (Daylight)"."""
    return Calendar.from_ical(original(Path(CORPUS) / CUSTOM_ZONE))


def test_exchange_custom_zone_is_new_york() -> None:
    (zone,) = custom_zone().timezones
    own = tzinfo_of(zone)
    assert own is not None
    found = matching_zone(own, datetime(2020, 9, 17, tzinfo=UTC), datetime(2023, 1, 1, tzinfo=UTC))
    assert found == "America/New_York"


def test_no_zone_has_a_made_up_rule() -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTIMEZONE\r\nTZID:Odd\r\n"
        "BEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0320\r\n"
        "TZOFFSETTO:-0420\r\nRRULE:FREQ=YEARLY;BYMONTH=2;BYDAY=1SU\r\nEND:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0420\r\n"
        "TZOFFSETTO:-0320\r\nRRULE:FREQ=YEARLY;BYMONTH=8;BYDAY=1SU\r\nEND:DAYLIGHT\r\n"
        "END:VTIMEZONE\r\nEND:VCALENDAR\r\n"
    )
    (zone,) = Calendar.from_ical(text).timezones
    own = tzinfo_of(zone)
    assert own is not None
    span = datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    assert matching_zone(own, *span) is None


class CountingZone(tzinfo):
    """Delegates to a custom zone and counts how often its offsets are read."""

    def __init__(self, inner: tzinfo) -> None:
        self.inner = inner
        self.reads = 0

    def utcoffset(self, moment: datetime | None) -> timedelta | None:
        self.reads += 1
        return self.inner.utcoffset(moment)

    def dst(self, moment: datetime | None) -> timedelta | None:
        return self.inner.dst(moment)

    def tzname(self, moment: datetime | None) -> str | None:
        return self.inner.tzname(moment)


def test_a_custom_zone_is_read_a_bounded_number_of_times() -> None:
    # Reading a custom VTIMEZONE's offset costs about a millisecond: however long the event
    # claims to last, matching reads it a few hundred times at most (a stranger's mail).
    (zone,) = custom_zone().timezones
    own = tzinfo_of(zone)
    assert own is not None
    counting = CountingZone(own)
    start = datetime(2020, 9, 17, tzinfo=UTC)
    assert matching_zone(counting, start, start + timedelta(days=366 * 50)) == "America/New_York"
    assert counting.reads < 600
