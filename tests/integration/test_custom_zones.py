"""An invite in a zone only the organizer's VTIMEZONE defines keeps that zone end to end.

Ingested into real SQLite, sent, read back by a fresh process from the stored events and
updated: the definition travels with the event, and every invitation carries it unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from adapters.mail.outbox import OutboxFolderMailer
from adapters.zone_definitions import tzinfo_of
from application.send_types import Recipient, SendOutcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import driver
from tests.interop.custom_zones import calendar
from tests.invite_mail import email_of
from tests.replies import invitation_calendar

NOW = datetime(2025, 1, 2, 9, tzinfo=UTC)
ORGANIZER = "org@example.com"
CASE = "outlook-customized-zone"


def sent(data: Path) -> list[Calendar]:
    """Return the invitations in the outbox, oldest first."""
    found = []
    for entry in OutboxFolderMailer(data / "outbox").entries():
        parsed = invitation_calendar(entry.path.read_bytes()) if entry.method else None
        if parsed is not None:
            found.append(parsed)
    return found


def zone_and_start(invitation: Calendar) -> tuple[str, str, datetime]:
    """Return the VTIMEZONE's text, DTSTART's TZID and DTSTART in that VTIMEZONE's offsets.

    icalendar resolves a TZID it has seen before in this process to the zone it saw then,
    so the offsets are read from this invitation's own VTIMEZONE.
    """
    (zone,) = invitation.timezones
    (event,) = invitation.events
    start = event.DTSTART.replace(tzinfo=tzinfo_of(zone))
    return zone.to_ical().decode(), event["DTSTART"].params["TZID"], start


def test_the_organizers_zone_survives_storage_replay_and_updates(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sender_policy="off")
    service = driver(bootstrap(settings))
    ref = str(service.ingest(email_of(calendar(CASE), ORGANIZER), now=NOW).invite)
    (first,) = service.send(ref, [Recipient("ann@example.org")], now=NOW)
    assert first.outcome is SendOutcome.SENT

    again = driver(bootstrap(settings))  # a new process: everything from the stored events
    (second,) = again.send(ref, [Recipient("ben@example.org")], now=NOW)
    assert second.outcome is SendOutcome.SENT

    (zone, tzid, start), (zone_again, tzid_again, start_again) = map(zone_and_start, sent(tmp_path))
    assert tzid == tzid_again == "Customized Time Zone"
    assert zone == zone_again
    assert start == start_again == datetime(2025, 1, 6, 9, tzinfo=start.tzinfo)
    assert start.utcoffset() == timedelta(hours=1)


def test_a_new_title_is_not_a_change_of_time(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, sender_policy="off")))
    original = calendar(CASE)
    ref = str(service.ingest(email_of(original, ORGANIZER), now=NOW).invite)
    renamed = original.replace(b"SUMMARY:Weekly review", b"SUMMARY:Weekly sync").replace(
        b"SEQUENCE:0", b"SEQUENCE:1"
    )
    result = service.ingest(email_of(renamed, ORGANIZER), now=NOW)
    assert str(result.invite) == ref
    (update,) = [e for e in service.history(ref) if e.type == "Updated"]
    assert update.data["changed_fields"] == ["title"]
