"""Event text reaches recipients as the organizer wrote it (only iCalendar escaping changes),
and what the server cannot use of a message is said, never silently dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from icalendar import Calendar, Event, vCalAddress

from adapters.inbound.parser import EmailCalendarParser
from adapters.mail.outbox import OutboxFolderMailer
from application.send_types import Recipient
from domain.messages import ItipMessage
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.driver import driver
from tests.invite_mail import ALICE, calendar, email_of
from tests.replies import invitation_calendar

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
GUEST = "guest@example.org"
DESCRIPTION = "\n  Agenda:\n  1. numbers  \n\t2. plans\n\n"
SUMMARY = " Planning  "
LOCATION = "  Room 4\n"


def organizers_calendar() -> bytes:
    """Return the organizer's invitation with text that starts and ends with whitespace."""
    parsed = Calendar.from_ical(calendar())
    event: Event = parsed.events[0]
    for name, value in (("SUMMARY", SUMMARY), ("DESCRIPTION", DESCRIPTION), ("LOCATION", LOCATION)):
        event.pop(name, None)
        event.add(name, value)
    data: bytes = parsed.to_ical()
    return data


def sent_event(data: Path) -> Event:
    (entry,) = [e for e in OutboxFolderMailer(data / "outbox").entries() if e.method]
    sent = invitation_calendar(entry.path.read_bytes())
    assert sent is not None
    (event,) = sent.events
    return event


def test_text_keeps_its_leading_and_trailing_whitespace_both_ways(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, sender_policy="off")))
    ref = str(service.ingest(email_of(organizers_calendar(), ALICE), now=NOW).invite)
    service.send(ref, [Recipient(GUEST)], now=NOW)
    event = sent_event(tmp_path)
    assert str(event["DESCRIPTION"]) == DESCRIPTION
    assert str(event["SUMMARY"]) == SUMMARY
    assert str(event["LOCATION"]) == LOCATION


def test_blank_text_is_no_text() -> None:
    parsed = Calendar.from_ical(calendar())
    parsed.events[0].add("DESCRIPTION", " \n ")
    message = EmailCalendarParser().parse(email_of(parsed.to_ical(), ALICE))
    assert isinstance(message, ItipMessage)
    (component,) = message.components
    assert component.details.description is None


QUOTED = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//Tests//Quotes//EN\r\n"
    "METHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:quotes-1@example.com\r\n"
    "DTSTAMP:20261120T090000Z\r\n"
    "DTSTART:20261201T090000Z\r\n"
    "DTEND:20261201T100000Z\r\n"
    'SUMMARY:Film \\"Heimat\\"\r\n'
    'DESCRIPTION:Wir wollen zu\\"gucken\\"\\, mehr nicht\\;\\nBis dann\r\n'
    f"ORGANIZER:mailto:{ALICE}\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def test_a_backslash_quote_reads_as_a_quote() -> None:
    message = EmailCalendarParser().parse(email_of(QUOTED.encode(), ALICE))
    assert isinstance(message, ItipMessage)
    (component,) = message.components
    assert component.details.summary == 'Film "Heimat"'
    assert component.details.description == 'Wir wollen zu"gucken", mehr nicht;\nBis dann'


def test_quotes_go_out_without_backslashes(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, sender_policy="off")))
    ref = str(service.ingest(email_of(QUOTED.encode(), ALICE), now=NOW).invite)
    service.send(ref, [Recipient(GUEST)], now=NOW)
    assert (
        str(sent_event(tmp_path)["DESCRIPTION"]) == 'Wir wollen zu"gucken", mehr nicht;\nBis dann'
    )


def test_what_a_recorded_message_loses_is_said_with_its_outcome(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, sender_policy="off")))
    lotus = Calendar.from_ical(
        (CORPUS / "recurring/lotus-notes-recurrence-id-only.ics").read_bytes()
    )
    for event in lotus.events:  # the corpus file names no organizer
        event.add("ORGANIZER", vCalAddress(f"mailto:{ALICE}"))
    result = service.ingest(lotus.to_ical(), now=NOW, envelope_from=ALICE)
    assert result.outcome is Outcome.CREATED
    reason = result.reason or ""
    assert "DTSTART '20140230T150000'" in reason
    assert "DTEND '20140230T163000'" in reason
    assert "RANGE=THISANDFUTURE" in reason


def test_a_message_without_losses_has_no_reason(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, sender_policy="off")))
    result = service.ingest(email_of(calendar(), ALICE), now=NOW)
    assert (result.outcome, result.reason) == (Outcome.CREATED, None)
