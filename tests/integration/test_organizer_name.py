"""The name recipients see for the organizer when the ORGANIZER carries no CN."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from icalendar import Calendar

from adapters.inbound.parser import EmailCalendarParser
from adapters.mail.outbox import OutboxFolderMailer
from application.send_types import Recipient, SendOutcome
from domain.messages import ItipMessage
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import driver
from tests.invite_mail import ALICE, calendar, email_of
from tests.replies import invitation_calendar

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
GUEST = "guest@example.org"


def without_cn(raw: bytes) -> bytes:
    """Return the organizer's calendar with the ORGANIZER's CN removed."""
    parsed = Calendar.from_ical(raw)
    for event in parsed.events:
        del event["ORGANIZER"].params["CN"]
    data: bytes = parsed.to_ical()
    return data


def sent_organizer(data: Path) -> tuple[str, str | None]:
    """Return the ORGANIZER (address, CN) of the one invitation in the outbox."""
    (entry,) = [e for e in OutboxFolderMailer(data / "outbox").entries() if e.method]
    sent = invitation_calendar(entry.path.read_bytes())
    assert sent is not None
    (event,) = sent.events
    organizer = event["ORGANIZER"]
    return str(organizer), organizer.params.get("CN")


def test_the_parser_takes_the_organizers_from_name_when_there_is_no_cn() -> None:
    raw = email_of(without_cn(calendar()), f'"Alice Example" <{ALICE}>')
    parsed = EmailCalendarParser().parse(raw)
    assert isinstance(parsed, ItipMessage)
    assert parsed.organizer_name == "Alice Example"


def test_another_senders_name_is_not_the_organizers() -> None:
    raw = email_of(without_cn(calendar()), "Calendar Relay <relay@example.net>")
    parsed = EmailCalendarParser().parse(raw)
    assert isinstance(parsed, ItipMessage)
    assert parsed.organizer_name is None


def test_an_encoded_from_name_is_decoded() -> None:
    raw = email_of(without_cn(calendar()), f"=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <{ALICE}>")
    parsed = EmailCalendarParser().parse(raw)
    assert isinstance(parsed, ItipMessage)
    assert parsed.organizer_name == "Jörg Müller"


def test_invitations_name_the_organizer_by_their_from_name(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, sender_policy="off")))
    raw = email_of(without_cn(calendar()), f'"Alice Example" <{ALICE}>')
    ref = str(service.ingest(raw, now=NOW).invite)
    (result,) = service.send(ref, [Recipient(GUEST)], now=NOW)
    assert result.outcome is SendOutcome.SENT
    address, name = sent_organizer(tmp_path)
    assert address.startswith("mailto:rsvp+")
    assert name == "Alice Example"


def test_without_any_name_invitations_name_the_organizers_local_part(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, sender_policy="off")))
    raw = email_of(without_cn(calendar()), ALICE)
    ref = str(service.ingest(raw, now=NOW).invite)
    service.send(ref, [Recipient(GUEST)], now=NOW)
    assert sent_organizer(tmp_path)[1] == ALICE.split("@")[0]
