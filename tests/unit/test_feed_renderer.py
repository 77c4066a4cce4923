"""The feed writer: published VEVENTs of the invitations, one VTIMEZONE per TZID for all."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from icalendar import Calendar

from adapters.outbound.calendar import publication_of
from adapters.outbound.feed import IcalendarFeedRenderer
from adapters.outbound.vtimezone import vtimezone
from domain.outbound import OutboundInstance, OutboundInvite, server_uid
from domain.values import EventDetails, Method

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
RENDERER = IcalendarFeedRenderer()


def version(number: int, start: str, zone: str, **more: object) -> OutboundInvite:
    invite = UUID(int=number)
    details = EventDetails(
        summary=f"Event {number}; with a \\;TZID=Fake/Zone in its words",
        start=start,
        timezone=zone,
        **more,  # type: ignore[arg-type]
    )
    return OutboundInvite(
        invite, server_uid(invite, "cis.example"), Method.REQUEST, 3, "Ann", details
    )


def test_an_entry_names_the_zones_icalendar_finds_and_nobody_invited() -> None:
    series = version(1, "2030-03-01T10:00:00+01:00", "Europe/Paris", rrule="FREQ=WEEKLY;COUNT=10")
    moved = EventDetails(summary="Moved", start="2030-03-08T09:00:00+09:00", timezone="Asia/Tokyo")
    invite = OutboundInvite(
        series.invite,
        series.uid,
        Method.REQUEST,
        3,
        "Ann",
        series.details,
        (OutboundInstance("2030-03-08T10:00:00+01:00", moved),),
    )
    entry = RENDERER.entry(invite, NOW)
    published = publication_of(invite, NOW)
    assert {tzid for tzid, _ in entry.zones} == published.get_used_tzids()
    assert {tzid for tzid, _ in entry.zones} == {"Europe/Paris", "Asia/Tokyo"}
    assert b"ATTENDEE" not in entry.events
    assert b"ORGANIZER" not in entry.events
    assert b"X-CIS-PERSONAL" not in entry.events


def test_a_feed_has_one_vtimezone_per_tzid_covering_every_entry() -> None:
    early = RENDERER.entry(version(1, "2030-03-01T10:00:00-05:00", "America/New_York"), NOW)
    late = RENDERER.entry(version(2, "2045-07-01T10:00:00-04:00", "America/New_York"), NOW)
    feed = RENDERER.feed("Ann's; events", [early, late])
    calendar = Calendar.from_ical(feed)
    zones = calendar.walk("VTIMEZONE")
    assert [z["TZID"] for z in zones] == ["America/New_York"]
    first, last = min(early.first, late.first), max(early.last, late.last)
    assert zones[0].to_ical() == vtimezone("America/New_York", first.year, last.year).to_ical()
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [
        str(UUID(int=1)) + "@cis.example",
        str(UUID(int=2)) + "@cis.example",
    ]
    # TEXT, escaped (RFC 5545 3.3.11): a ";" in the name splits nothing.
    assert b"\r\nNAME:Ann's\\; events\r\n" in feed
    assert b"\r\nX-WR-CALNAME:Ann's\\; events\r\n" in feed
    assert str(calendar["METHOD"]) == "PUBLISH"
