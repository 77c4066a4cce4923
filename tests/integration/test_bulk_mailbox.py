"""Organizers send recipient lists by email to the bulk mailbox."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from adapters.mail.outbox import OutboxFolderMailer
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
ORGANIZER = "inboxapptest@gmail.com"
BULK = "bulk@invites.localhost"


def list_mail(sender: str, subject: str, csv: bytes | None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = BULK
    message["Subject"] = subject
    message.set_content("Please send my invite to this list.")
    if csv is not None:
        message.add_attachment(csv, maintype="text", subtype="csv", filename="guests.csv")
    return message.as_bytes()


def test_a_list_from_the_organizer_is_sent_and_summarized(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    invite = str(from_organizer(service, raw, now=NOW).invite)
    csv = b"email,name\nbob@example.org,Bob\ncarol@example.org,Carol\nbroken,X\nbob@example.org,B\n"
    result = service.ingest(
        list_mail(ORGANIZER, f"Send [{invite}] please", csv), now=NOW, envelope_to=BULK
    )
    assert result.outcome is Outcome.BULK
    assert str(result.invite) == invite
    entries = list(OutboxFolderMailer(tmp_path / "outbox").entries())
    sent = sorted(parseaddr(e.to)[1] for e in entries if e.method)
    assert sent == ["bob@example.org", "carol@example.org"]
    summary = [e for e in entries if e.method is None and "what was sent" in e.subject]
    assert [parseaddr(e.to)[1] for e in summary] == [ORGANIZER]
    again = service.ingest(
        list_mail(ORGANIZER, f"Send {invite} again", csv), now=NOW, envelope_to=BULK
    )
    assert again.outcome is Outcome.BULK
    entries = list(OutboxFolderMailer(tmp_path / "outbox").entries())
    assert sorted(parseaddr(e.to)[1] for e in entries if e.method) == sent


def test_lists_from_others_or_without_invite_or_csv_are_refused(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    invite = str(from_organizer(service, raw, now=NOW).invite)
    csv = b"bob@example.org\n"
    for sender, subject, attachment, words in (
        ("mallory@example.net", f"Send {invite}", csv, "names none"),
        (ORGANIZER, "Send my invite", csv, "names none"),
        (ORGANIZER, f"Send {invite}", None, "no CSV attachment"),
    ):
        result = service.ingest(list_mail(sender, subject, attachment), now=NOW, envelope_to=BULK)
        assert result.outcome is Outcome.REJECTED
        assert words in (result.reason or "")
    assert not [e for e in OutboxFolderMailer(tmp_path / "outbox").entries() if e.method]
