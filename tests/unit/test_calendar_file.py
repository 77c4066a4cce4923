"""An invite's "add to calendar" file: a PUBLISH of what recipients hold, under the server UID."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from icalendar.cal.component import Component

from adapters.inbound.parser import EmailCalendarParser
from adapters.outbound import IcalendarInviteRenderer
from application.errors import InviteNotFoundError
from application.links.downloads import calendar_file
from application.send_types import Recipient
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.outbound import OutboundInstance, OutboundInvite, server_uid
from domain.values import EventDetails, Method
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
MADE = datetime(2026, 11, 22, 8, 30, 5, 123456, tzinfo=UTC)
DOMAIN = "invites.example"
PARIS = ZoneInfo("Europe/Paris")
TITLE = '<script>alert("x")</script> Café 会議 ☕'
RENDERER = IcalendarInviteRenderer(clock=lambda: MADE)


def organizers(method: str, sequence: int, *, status: str = "CONFIRMED") -> bytes:
    """Return the organizer's REQUEST or CANCEL of a Paris concert, as a bare .ics file."""
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Example Corp//Calendar 1.0//EN",
        "VERSION:2.0",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        "UID:concert-2026@example.com",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:2026110{sequence + 1}T090000Z",
        "DTSTART;TZID=Europe/Paris:20261203T183000",
        "DTEND;TZID=Europe/Paris:20261203T200000",
        f"SUMMARY:{TITLE}",
        "DESCRIPTION:" + "Doors open at 18:00; bring the ticket. " * 6,
        "LOCATION:Salle Pleyel",
        f"STATUS:{status}",
        "ORGANIZER;CN=Zoé:mailto:zoe@example.com",
        "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ann@example.org",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Driver]:
    service = driver(bootstrap(Settings(backend="memory", data_dir=tmp_path, mail_domain=DOMAIN)))
    yield service
    service.close()


def given_invite(service: Driver, raw: bytes | None = None) -> UUID:
    """Ingest the organizer's invite (the Paris concert unless ``raw`` says otherwise)."""
    created = from_organizer(service, raw or organizers("REQUEST", 0), now=NOW)
    assert created.invite is not None
    return created.invite


def download(service: Driver, invite: UUID) -> tuple[bytes, Calendar]:
    """Return the calendar file's bytes and the calendar a client parses from them."""
    assert service.outbound is not None
    data = calendar_file(service.load, service.store.load_at, RENDERER, service.outbound, invite)
    return data, Calendar.from_ical(data)


def prop(component: Component, name: str) -> Any:
    """Return a property of a parsed component, untyped (icalendar's union types get in the way)."""
    return component[name]


def test_is_a_publish_of_the_event_under_the_server_uid(service: Driver) -> None:
    invite = given_invite(service)

    _, calendar = download(service, invite)

    assert prop(calendar, "METHOD") == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert prop(event, "UID") == server_uid(invite, DOMAIN)
    assert prop(event, "SEQUENCE") == 0
    assert prop(event, "SUMMARY") == TITLE
    assert prop(event, "LOCATION") == "Salle Pleyel"
    assert prop(event, "DTSTART").dt == datetime(2026, 12, 3, 18, 30, tzinfo=PARIS)
    assert prop(event, "DTSTART").params["TZID"] == "Europe/Paris"
    assert prop(event, "DTSTAMP").dt == MADE.replace(microsecond=0)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


def test_invites_nobody_and_asks_for_no_answer(service: Driver) -> None:
    data, calendar = download(service, given_invite(service))

    (event,) = calendar.walk("VEVENT")
    assert "ATTENDEE" not in event
    assert "ORGANIZER" not in event
    assert b"RSVP" not in data
    assert b"X-CIS-" not in data


def test_ends_every_line_in_crlf_and_folds_at_75_octets(service: Driver) -> None:
    data, _ = download(service, given_invite(service))

    assert data.endswith(b"\r\n")
    assert data.count(b"\r\n") == data.count(b"\n")
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the description was folded
    for line in lines:
        line.decode("utf-8")  # a fold through a multi-byte character would not decode


def test_carries_the_sequence_of_the_version_recipients_hold(service: Driver) -> None:
    invite = given_invite(service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes())
    service.send(str(invite), [Recipient("ann@example.org")], now=NOW)
    # The organizer moves the event; Ann gets the new version, the server's SEQUENCE 1.
    from_organizer(service, (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes(), now=NOW)

    _, calendar = download(service, invite)

    (event,) = calendar.walk("VEVENT")
    assert prop(event, "SEQUENCE") == service.report(str(invite))[0].last_sequence_sent == 1
    assert str(prop(event, "LOCATION")).startswith("Le Zenith")


def test_a_change_held_for_review_is_not_downloaded_before_it_is_approved(tmp_path: Path) -> None:
    config = Settings(backend="memory", data_dir=tmp_path, mail_domain=DOMAIN, review_updates=True)
    service = driver(bootstrap(config))
    invite = given_invite(service)
    service.send(str(invite), [Recipient("ann@example.org")], now=NOW)
    from_organizer(service, organizers("REQUEST", 1).replace(b"Pleyel", b"Gaveau"), now=NOW)
    assert service.report(str(invite))[0].last_sequence_sent == 0  # the update is held

    _, held = download(service, invite)
    service.approve(str(invite), now=NOW + timedelta(hours=1))
    _, approved = download(service, invite)

    # What Ann holds, until the organizer lets the change go out; then the change, under the
    # SEQUENCE her email carries.
    (before,) = held.walk("VEVENT")
    assert (prop(before, "SEQUENCE"), str(prop(before, "LOCATION"))) == (0, "Salle Pleyel")
    (after,) = approved.walk("VEVENT")
    assert (prop(after, "SEQUENCE"), str(prop(after, "LOCATION"))) == (1, "Salle Gaveau")
    assert service.report(str(invite))[0].last_sequence_sent == 1
    service.close()


def test_a_state_not_sent_yet_has_the_sequence_its_first_send_gives_it(service: Driver) -> None:
    invite = given_invite(service)
    service.send(str(invite), [Recipient("ann@example.org")], now=NOW)
    # A change recorded but not sent yet (the fan-out runs after the ingest, or is queued).
    stored = service.load(Invite, invite)
    assert stored is not None
    update = EmailCalendarParser().parse(organizers("REQUEST", 1).replace(b"Pleyel", b"Gaveau"))
    assert isinstance(update, ItipMessage)
    stored.receive(update, NOW)
    service.store.save(stored)

    _, calendar = download(service, invite)

    (event,) = calendar.walk("VEVENT")
    assert (prop(event, "SEQUENCE"), str(prop(event, "LOCATION"))) == (1, "Salle Gaveau")


def test_a_cancelled_event_is_published_as_cancelled(service: Driver) -> None:
    invite = given_invite(service)
    from_organizer(service, organizers("CANCEL", 1, status="CANCELLED"), now=NOW)

    _, calendar = download(service, invite)

    assert prop(calendar, "METHOD") == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert prop(event, "STATUS") == "CANCELLED"


def test_an_unknown_invite_is_not_found(service: Driver) -> None:
    with pytest.raises(InviteNotFoundError):
        download(service, uuid4())


def test_a_series_keeps_its_overrides_each_with_its_own_timezone() -> None:
    invite = uuid4()
    weekly = EventDetails(
        summary="Weekly sync",
        start="2025-03-10T10:00:00+01:00",
        end="2025-03-10T11:00:00+01:00",
        timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY;BYDAY=MO",
    )
    moved = EventDetails(
        summary="Weekly sync (moved)",
        start="2025-03-24T09:00:00-04:00",
        end="2025-03-24T10:00:00-04:00",
        timezone="America/New_York",
    )
    version = OutboundInvite(
        invite=invite,
        uid=server_uid(invite, DOMAIN),
        method=Method.REQUEST,
        sequence=3,
        organizer_name="Alice",
        details=weekly,
        instances=(OutboundInstance("2025-03-24T09:00:00+00:00", moved),),
    )

    calendar = Calendar.from_ical(RENDERER.calendar_file(version))

    master, override = calendar.walk("VEVENT")
    assert {prop(e, "UID") for e in (master, override)} == {version.uid}
    assert {prop(e, "SEQUENCE") for e in (master, override)} == {3}
    assert prop(master, "RRULE")["FREQ"] == ["WEEKLY"]
    assert prop(override, "RECURRENCE-ID").dt.date() == date(2025, 3, 24)
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {
        "Europe/Berlin",
        "America/New_York",
    }
    assert not any("ATTENDEE" in e or "ORGANIZER" in e for e in (master, override))
