"""The corpus's invitations, as the server re-sends them, occur when the organizer's did.

Each reader (ical.js, recurring-ical-events) must list the same first 100 UTC instants for
our invitation as for the organizer's original; ical.js runs once for the whole corpus.
"""

from __future__ import annotations

from functools import cache

import pytest

from tests.interop.corpus_cases import CASES, CORPUS, CUSTOM_ZONE, master, original
from tests.interop.readers import icaljs, python_reader, rendered

# The custom zone (Exchange's "GMT -0500 (Standard) / GMT -0400 (Daylight)") goes out as the
# IANA zone whose offsets its own VTIMEZONE keeps.
ALL = PARAMS = (*CASES, CUSTOM_ZONE)


@cache
def _calendars() -> dict[str, tuple[bytes, bytes]]:
    return {case: (original(CORPUS / case), rendered(master(CORPUS / case))) for case in ALL}


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
