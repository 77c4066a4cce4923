"""The corpus's invitations, as the server re-sends them, occur when the organizer's did.

Each reader (ical.js, recurring-ical-events) must list the same first 100 UTC instants for
our invitation as for the organizer's original; ical.js runs once for the whole corpus. Custom
zones no IANA zone matches go out with the organizer's own definition.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

import pytest
from icalendar import Calendar

from tests.interop import custom_zones
from tests.interop.corpus_cases import CASES, CORPUS, CUSTOM_ZONE, master_of, original
from tests.interop.readers import icaljs, python_reader, rendered

ALL = PARAMS = (*CASES, CUSTOM_ZONE, *custom_zones.CASES)


def _original(case: str) -> bytes:
    return custom_zones.calendar(case) if case in custom_zones.CASES else original(CORPUS / case)


@cache
def _calendars() -> dict[str, tuple[bytes, bytes]]:
    return {case: (_original(case), rendered(master_of(_original(case)))) for case in ALL}


@cache
def _icaljs() -> dict[str, tuple[list[str], list[str]]]:
    """Return ical.js's reading of every original and rendered calendar, from one Node run."""
    pairs = _calendars()
    read = icaljs([c for pair in pairs.values() for c in pair])
    return {case: (read[2 * i], read[2 * i + 1]) for i, case in enumerate(pairs)}


@pytest.mark.parametrize("case", PARAMS)
def test_icaljs_reads_the_organizers_occurrences(case: str) -> None:
    theirs, ours = _icaljs()[case]
    assert theirs, f"ical.js found no occurrence in the original {case}"
    assert ours == theirs


@pytest.mark.parametrize("case", PARAMS)
def test_recurring_ical_events_reads_the_organizers_occurrences(case: str) -> None:
    theirs, ours = _calendars()[case]
    expected = python_reader(theirs)
    assert expected, f"recurring-ical-events found no occurrence in the original {case}"
    assert python_reader(ours) == expected


@pytest.mark.parametrize("case", list(custom_zones.CASES))
def test_a_custom_zone_goes_out_as_the_organizer_defined_it(case: str) -> None:
    _, ours = _calendars()[case]
    (zone,) = Calendar.from_ical(ours).timezones
    tzid = custom_zones.CASES[case][1]
    assert zone["TZID"] == tzid
    (event,) = Calendar.from_ical(ours).events
    assert event["DTSTART"].params["TZID"] == tzid
    assert event.DTSTART.replace(tzinfo=None) == datetime(2025, 1, 6, 9)
