"""Generated weekly and monthly series in IANA zones occur when zoneinfo says, in both readers.

Starts fall within days of a DST change, series are open-ended or counted, and the first 100
occurrences reach past 2038 for late starts; each example is one batch (one Node run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from domain.values import EventDetails
from tests.interop.readers import COUNT, icaljs, instant, python_reader, rendered

# Both hemispheres, half-hour DST (Lord Howe), rules from 26:00 and -1:00 (Jerusalem, Nuuk),
# zones whose rules changed lately (Sao Paulo, Tehran, Santiago, Nuuk) and zones without DST.
ZONES = (
    "Europe/Paris",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Kyiv",
    "America/New_York",
    "America/Los_Angeles",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Nuuk",
    "America/Havana",
    "Asia/Jerusalem",
    "Asia/Tehran",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    # No yearly rule: changes listed one by one (Ramadan pauses, "the day after" a Thursday)
    "Africa/Cairo",
    "Africa/Casablanca",
    "Asia/Gaza",
)
# Rules DTSTART always matches: where it does not, readers differ on counting it (RFC 5545).
RULES = ("FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=3")
RULE = "FREQ=WEEKLY;INTERVAL=2;COUNT=38"


@dataclass(frozen=True)
class Case:
    """One generated series: its zone, local start and RRULE."""

    zone: str
    start: datetime  # aware, in ``zone``
    rrule: str

    def details(self) -> EventDetails:
        """Return the series as the server stores it."""
        end = self.start + timedelta(hours=1)
        return EventDetails(
            summary="Generated",
            start=self.start.isoformat(),
            end=end.isoformat(),
            timezone=self.zone,
            rrule=self.rrule,
        )

    def expected(self) -> list[str]:
        """Return the first occurrences' UTC instants as zoneinfo computes them."""
        wall = self.start.replace(tzinfo=None)
        rule = rrulestr(self.rrule, dtstart=wall)
        zone = ZoneInfo(self.zone)
        return [instant(w.replace(tzinfo=zone)) for _, w in zip(range(COUNT), rule, strict=False)]


@cache
def changes(zone: str, year: int) -> tuple[date, ...]:
    """Return the days of ``year`` whose noon offset differs from the day before's."""
    where, first = ZoneInfo(zone), date(year, 1, 1)
    days = [first + timedelta(days=n) for n in range(-1, 366)]
    noon = [datetime(d.year, d.month, d.day, 12, tzinfo=where).utcoffset() for d in days]
    return tuple(days[i] for i in range(1, len(days)) if noon[i] != noon[i - 1])


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Return a series starting within three days of a DST change (or anywhere, without one)."""
    zone = draw(st.sampled_from(ZONES))
    year = draw(st.integers(2000, 2036))
    near = changes(zone, year) or (date(year, 1, 1) + timedelta(days=draw(st.integers(0, 364))),)
    day = draw(st.sampled_from(near)) + timedelta(days=draw(st.integers(-3, 3)))
    # 08:00-20:59 local: never in a DST gap or repeated hour, where readers may differ by RFC
    wall = datetime(
        day.year, day.month, day.day, draw(st.integers(8, 20)), draw(st.sampled_from((0, 30)))
    )
    rule = draw(st.sampled_from(RULES))
    if draw(st.booleans()):
        rule += f";COUNT={draw(st.integers(1, COUNT))}"
    return Case(zone, wall.replace(tzinfo=ZoneInfo(zone)), rule)


# Not shrunk: a batch is slow to shrink, and the failing case is named in the message.
@settings(
    max_examples=4,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(cases(), min_size=30, max_size=30))
# Found by this test: listed transitions with RDATEs, where ical.js drops the DTSTART onset.
@example([Case("Asia/Tehran", datetime(2007, 9, 23, 10, 30, tzinfo=ZoneInfo("Asia/Tehran")), RULE)])
# Found by this test: a listed zone's changes stopped at 2038, though the series goes on.
@example(
    [
        Case(
            "Africa/Casablanca",
            datetime(2035, 3, 4, 10, tzinfo=ZoneInfo("Africa/Casablanca")),
            "FREQ=MONTHLY;INTERVAL=3",
        )
    ]
)
def test_generated_series_occur_when_zoneinfo_says(batch: list[Case]) -> None:
    calendars = [rendered(case.details()) for case in batch]
    by_icaljs = icaljs(calendars)
    for case, calendar, theirs in zip(batch, calendars, by_icaljs, strict=True):
        expected = case.expected()
        assert theirs == expected, f"ical.js, {case}"
        assert python_reader(calendar) == expected, f"recurring-ical-events, {case}"
