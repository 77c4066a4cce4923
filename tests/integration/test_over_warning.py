"""When sending warns that an event is over: its last occurrence (a series' last: UNTIL or
COUNT) ended before now; an open-ended series never is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.api.conftest import SEQ0, ingest, new_container

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _event(tmp_path: Path, times: str, rule: str | None = None) -> list[str]:
    """Ingest the corpus invite with ``times`` (DTSTART/DTEND lines) and ``rule``; return the
    warnings a send at NOW gets."""
    text = SEQ0.read_text(encoding="utf-8")
    text = text.replace("DTSTART:20150319T233000Z\nDTEND:20150320T003000Z", times)
    if rule is not None:
        text = text.replace("DTSTAMP:", f"RRULE:{rule}\nDTSTAMP:", 1)
    container = new_container(tmp_path)
    invite = ingest(container, text.encode("utf-8"), now=NOW)
    return container.front_doors().reading.send_warnings(str(invite), now=NOW)


@pytest.mark.parametrize(
    ("times", "rule", "over"),
    [
        ("DTSTART:20150319T233000Z\nDTEND:20150320T003000Z", None, True),
        ("DTSTART:20400319T233000Z\nDTEND:20400320T003000Z", None, False),
        # Ended an hour ago: within the grace every zone's local time fits in.
        ("DTSTART:20260601T100000Z\nDTEND:20260601T110000Z", None, False),
        ("DTSTART;VALUE=DATE:20260530\nDTEND;VALUE=DATE:20260531", None, True),
        ("DTSTART;VALUE=DATE:20260601\nDTEND;VALUE=DATE:20260602", None, False),
        ("DTSTART:20250101T090000\nDTEND:20250101T100000", None, True),  # floating
        # Series: UNTIL, COUNT, open-ended.
        ("DTSTART:20250106T090000Z\nDTEND:20250106T100000Z", "FREQ=WEEKLY;UNTIL=20250301", True),
        ("DTSTART:20250106T090000Z\nDTEND:20250106T100000Z", "FREQ=WEEKLY;UNTIL=20270301", False),
        ("DTSTART:20250106T090000Z\nDTEND:20250106T100000Z", "FREQ=DAILY;COUNT=10", True),
        ("DTSTART:20250106T090000Z\nDTEND:20250106T100000Z", "FREQ=MONTHLY;COUNT=24", False),
        ("DTSTART:20150106T090000Z\nDTEND:20150106T100000Z", "FREQ=YEARLY", False),
        (
            "DTSTART;TZID=America/Los_Angeles:20250106T180000\n"
            "DTEND;TZID=America/Los_Angeles:20250106T190000",
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6",
            True,
        ),
    ],
)
def test_an_event_is_over_when_its_last_occurrence_ended(
    tmp_path: Path, times: str, rule: str | None, over: bool
) -> None:
    warnings = _event(tmp_path, times, rule)
    assert bool(warnings) is over, warnings
    if over:
        assert warnings[0].startswith("this event is over")
