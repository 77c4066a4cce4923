"""Bounces come back to per-recipient addresses and stop further mail to that recipient."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

from adapters.mail.outbox import OutboxFolderMailer
from application.send_types import Recipient
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

NOW = datetime(2026, 11, 21, 16, 0, tzinfo=UTC)


def dsn(recipient: str, action: str = "failed", status: str = "5.1.1") -> bytes:
    report = MIMEMultipart("report", report_type="delivery-status")
    report.attach(MIMEText("Delivery to the following recipient failed.", "plain"))
    block = Message()
    block["Final-Recipient"] = f"rfc822; {recipient}"
    block["Action"] = action
    block["Status"] = status
    block["Diagnostic-Code"] = f"smtp; 550 {status} user unknown"
    part = MIMEBase("message", "delivery-status")
    part.attach(block)
    report.attach(part)
    report["From"] = "MAILER-DAEMON@mx.example.org"
    report["Subject"] = f"Undelivered Mail ({recipient}, {action})"
    return report.as_bytes()


def bounce_address(outbox: Path, recipient: str) -> str:
    """The envelope sender the server used for ``recipient``: bounces+TOKEN@domain."""
    entry = next(e for e in OutboxFolderMailer(outbox).entries() if e.to == recipient and e.method)
    message = email.message_from_bytes(entry.path.read_bytes(), policy=email.policy.default)
    reply_to = str(message["Reply-To"]).strip("<>")
    return reply_to.replace("rsvp+", "bounces+", 1)


def test_a_bounce_marks_the_recipient_and_updates_skip_them(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    invite = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    ref = str(invite.invite)
    service.send(ref, [Recipient("bob@example.org"), Recipient("carol@example.org")], now=NOW)
    verp = bounce_address(tmp_path / "outbox", "bob@example.org")

    bounced = service.ingest(dsn("bob@example.org"), now=NOW, envelope_to=verp)
    assert bounced.outcome is Outcome.BOUNCED
    assert bounced.invite == invite.invite
    again = service.ingest(dsn("bob@example.org", status="5.1.10"), now=NOW, envelope_to=verp)
    assert again.outcome is Outcome.DUPLICATE
    report = {row.address: row.status for row in service.report(ref)}
    assert report == {"bob@example.org": "bounced", "carol@example.org": "no answer"}

    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    assert from_organizer(service, update, now=NOW).outcome is Outcome.UPDATED
    outbox = OutboxFolderMailer(tmp_path / "outbox").entries()
    versions = sorted((e.to, e.sequence) for e in outbox if e.method)
    assert versions == [("bob@example.org", 0), ("carol@example.org", 0), ("carol@example.org", 1)]


def test_a_delay_notice_changes_nothing(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    invite = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    service.send(str(invite.invite), [Recipient("bob@example.org")], now=NOW)
    verp = bounce_address(tmp_path / "outbox", "bob@example.org")
    delayed = service.ingest(dsn("bob@example.org", "delayed", "4.4.1"), now=NOW, envelope_to=verp)
    assert delayed.outcome is Outcome.DUPLICATE
    assert "delay" in (delayed.reason or "")
    assert service.report(str(invite.invite))[0].status == "no answer"


def test_a_bounce_not_addressed_to_a_token_is_rejected(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    for to in (None, "create@invites.localhost", "bounces+unknowntoken@invites.localhost"):
        result = service.ingest(dsn(f"x{to}@example.org"), now=NOW, envelope_to=to)
        assert result.outcome is Outcome.REJECTED
        assert "does not name a message this server sent" in (result.reason or "")
