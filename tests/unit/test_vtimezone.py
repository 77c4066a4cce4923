"""VTIMEZONEs carry yearly rules where tzdata has them, and one RDATE value per line elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Timezone

from adapters.outbound.posix_tz import Change, parse
from adapters.outbound.vtimezone import vtimezone


def observances(zone: Timezone) -> list[tuple[str, str | None, int]]:
    """Return each sub-component's name, RRULE text and RDATE line count."""
    found = []
    for sub in zone.subcomponents:
        rule = sub.get("RRULE")
        rdates = sub.get("RDATE", [])
        count = len(rdates) if isinstance(rdates, list) else 1
        found.append((sub.name, rule.to_ical().decode() if rule else None, count))
    return found


def test_a_zone_with_dst_rules_gets_one_yearly_rule_per_change() -> None:
    assert observances(vtimezone("Europe/Paris", 2024, 2038)) == [
        ("DAYLIGHT", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", 0),
        ("STANDARD", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", 0),
    ]


def test_a_rule_past_midnight_is_written_as_days_of_the_month() -> None:
    daylight, _ = observances(vtimezone("Asia/Jerusalem", 2024, 2038))
    assert daylight[1] == "FREQ=YEARLY;BYDAY=FR;BYMONTHDAY=23,24,25,26,27,28,29;BYMONTH=3"


def test_a_zone_without_dst_gets_one_standard_observance() -> None:
    assert observances(vtimezone("Asia/Tokyo", 2024, 2038)) == [("STANDARD", None, 0)]


def test_changes_before_the_current_rule_are_listed_one_value_per_line() -> None:
    zone = vtimezone("America/Sao_Paulo", 2016, 2038)
    for sub in zone.subcomponents:
        rdates = sub.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            assert len(rdate.dts) == 1
    assert any(sub.get("RDATE") for sub in zone.subcomponents)


@pytest.mark.parametrize("key", ["Europe/Paris", "America/Sao_Paulo", "Australia/Lord_Howe"])
def test_offsets_match_zoneinfo_through_2060(key: str) -> None:
    built = vtimezone(key, 2017, 2038).to_tz(lookup_tzid=False)
    moment = datetime(2017, 1, 1, tzinfo=UTC)
    while moment.year < 2060:
        assert moment.astimezone(built).utcoffset() == moment.astimezone(ZoneInfo(key)).utcoffset()
        moment += timedelta(days=5, hours=7)


def test_same_zone_same_bytes() -> None:
    assert (
        vtimezone("America/Nuuk", 2020, 2038).to_ical()
        == vtimezone("America/Nuuk", 2020, 2038).to_ical()
    )


def test_posix_tz_strings() -> None:
    nuuk = parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0")
    assert nuuk.std_offset == timedelta(hours=-2)
    assert nuuk.to_dst == Change(3, 5, 0, timedelta(hours=-1))
    assert parse("EST5EDT,M3.2.0,M11.1.0").dst_offset == timedelta(hours=-4)
    assert parse("<+0530>-5:30").std_offset == timedelta(hours=5, minutes=30)
    for unsupported in ("EST5EDT", "XXX3YYY,J60,J300", "<-03>3<-02>,M13.1.0,M1.1.0"):
        with pytest.raises(ValueError, match=r"."):
            parse(unsupported)
