"""Organizers' own VTIMEZONEs are read within bounds and kept as clean definitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar, Timezone
from icalendar.prop import vDDDTypes

from adapters.inbound.times import Zones
from adapters.zone_definitions import defined_zone, definition_of, safe_tzid
from domain.values import EventDetails
from tests.interop.custom_zones import APPLE, LISTED, OUTLOOK

_STANDARD = (
    "BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "RRULE:{rule}\r\nEND:STANDARD\r\n"
)


def vtimezone(text: str) -> Timezone:
    zone = Timezone.from_ical(text.replace("\r\n", "\n").replace("\n", "\r\n"))
    assert isinstance(zone, Timezone)
    return zone


def custom(rule: str, tzid: str = "Custom", extra: str = "") -> Timezone:
    return vtimezone(
        f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n{extra}" + _STANDARD.format(rule=rule) + "END:VTIMEZONE"
    )


@pytest.mark.parametrize("text", [OUTLOOK, APPLE, LISTED])
def test_what_clients_write_is_kept_and_means_the_same_offsets(text: str) -> None:
    original = vtimezone(text)
    definition = definition_of(original)
    assert definition is not None
    # icalendar caches zones by TZID for the process: read this one afresh.
    kept, theirs = defined_zone(definition), original.to_tz(lookup_tzid=False)
    assert kept is not None
    for month in range(1, 13):
        moment = datetime(2026, month, 15, 12, tzinfo=UTC)
        assert moment.astimezone(kept).utcoffset() == moment.astimezone(theirs).utcoffset()


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MINUTELY",  # a step per minute for every lookup: minutes of CPU
        "FREQ=DAILY",
        "FREQ=YEARLY;BYHOUR=1,2,3",
        "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",
        "FREQ=YEARLY;BYYEARDAY=1,2,3",
    ],
)
def test_rules_that_change_more_than_yearly_are_not_read(rule: str) -> None:
    assert definition_of(custom(rule)) is None


def test_an_apple_week_of_month_days_is_read() -> None:
    assert definition_of(custom("FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=1,2,3,4,5,6,7;BYDAY=SU"))


def test_only_the_parts_of_a_vtimezone_are_kept() -> None:
    extra = "X-LIC-LOCATION:Somewhere\r\nLAST-MODIFIED:20200101T000000Z\r\n"
    definition = definition_of(custom("FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", extra=extra))
    assert definition is not None
    assert "X-LIC" not in definition
    assert "LAST-MODIFIED" not in definition


@pytest.mark.parametrize("tzid", ['Has "quotes"', "Tab\there", "x" * 201, " padded"])
def test_a_tzid_that_cannot_be_a_parameter_value_is_not_carried(tzid: str) -> None:
    assert not safe_tzid(tzid)


def test_a_tzid_with_punctuation_is_carried() -> None:
    assert safe_tzid("GMT -0500 (Standard) / GMT -0400 (Daylight); Zürich, Bern")


def test_too_many_listed_changes_are_not_read() -> None:
    rdates = "".join(f"RDATE:{1500 + year}0301T020000\r\n" for year in range(600))
    text = (
        "BEGIN:VTIMEZONE\r\nTZID:Long\r\nBEGIN:DAYLIGHT\r\nDTSTART:15000301T020000\r\n"
        f"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n{rdates}END:DAYLIGHT\r\nEND:VTIMEZONE"
    )
    assert definition_of(vtimezone(text)) is None


def _calendar(*tzids: str) -> Calendar:
    zones = "".join(OUTLOOK.replace("Customized Time Zone", tzid) for tzid in tzids)
    return Calendar.from_ical(
        ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n" + zones + "END:VCALENDAR\n").replace(
            "\n", "\r\n"
        )
    )


def _zoned(wall: datetime, tzid: str) -> vDDDTypes:
    prop = vDDDTypes(wall)
    prop.params["TZID"] = tzid
    return prop


def test_a_zone_past_the_matching_bound_keeps_the_organizers_definition() -> None:
    tzids = ("First", "Second", "Third", "Fourth")
    zones = Zones([_calendar(*tzids)])
    wall = datetime(2026, 1, 5, 9)
    moments = [zones.moment(_zoned(wall, tzid)) for tzid in tzids]
    for moment in moments:
        assert moment is not None
        assert moment.definition is not None
        assert not moment.floating  # zoned in the organizer's zone, never floating or UTC
        assert moment.utc() == datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_details_without_a_zone_definition_keep_their_digest() -> None:
    details = EventDetails(summary="x", start="2026-01-05T09:00:00+01:00", timezone="Europe/Paris")
    assert "zone_definition" not in details.as_dict()
    assert EventDetails.from_dict(details.as_dict()) == details
    defined = EventDetails(summary="x", timezone="Custom", zone_definition="BEGIN:VTIMEZONE")
    assert EventDetails.from_dict(defined.as_dict()) == defined
