"""Organizers are told what happened; machines and forgers are never answered."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from adapters.mail.outbox import OutboxFolderMailer
from application.ports import RecipientRow
from application.send_types import Recipient
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver

NOW = datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
ORGANIZER = "inboxapptest@gmail.com"  # the ORGANIZER of update/gcal-selfsent-seq0.ics


def notices(data: Path) -> list[EmailMessage]:
    """Every mail in the outbox that is not an invitation (no calendar METHOD)."""
    found = []
    for entry in OutboxFolderMailer(data / "outbox").entries():
        if entry.method is None:
            message = email.message_from_bytes(entry.path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
    return found


def subjects(data: Path, to: str) -> list[str]:
    return [str(m["Subject"]) for m in notices(data) if to in str(m["To"])]


def service_with_invite(data: Path) -> tuple[Driver, str]:
    service = driver(bootstrap(Settings(data_dir=data)))
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    return service, str(from_organizer(service, raw, now=NOW).invite)


def test_the_organizer_hears_an_invite_was_recorded(tmp_path: Path) -> None:
    service_with_invite(tmp_path)
    mails = [m for m in notices(tmp_path) if ORGANIZER in str(m["To"])]
    assert len(mails) == 1
    assert mails[0]["Auto-Submitted"] == "auto-generated"
    assert "the Strokes" in str(mails[0]["Subject"]) + mails[0].get_content()


def test_a_rejected_sender_is_told_why_but_an_auto_reply_is_not(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    forwarded = (CORPUS / "other/google-invite-forwarded-by-thunderbird.eml").read_bytes()
    assert service.ingest(forwarded, now=NOW).outcome.value == "rejected"
    told = [m for m in notices(tmp_path) if "duprat@linagora.com" in str(m["To"])]
    assert len(told) == 1
    assert "ORGANIZER" in told[0].get_content()
    robot = EmailMessage()
    robot["From"] = "Out of office <away@example.org>"
    robot["Auto-Submitted"] = "auto-replied"
    robot["Subject"] = "Automatic reply"
    robot.set_content("I am away.")
    assert service.ingest(robot.as_bytes(), now=NOW).outcome.value == "rejected"
    assert subjects(tmp_path, "away@example.org") == []


def test_bulk_summary_held_update_and_report_reach_the_organizer(tmp_path: Path) -> None:
    service, invite = service_with_invite(tmp_path)
    invalid = [RecipientRow(3, "not-an-address", None, "line 3: not usable")]
    service.send(
        invite,
        [Recipient("bob@example.org"), Recipient("carol@example.org")],
        now=NOW,
        invalid=invalid,
        summary=True,
    )
    service.registry.review(ORGANIZER, True, now=NOW)
    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    from_organizer(service, update, now=NOW)
    rows = service.email_report(invite, now=NOW)
    assert len(rows) == 2
    mails = [m for m in notices(tmp_path) if ORGANIZER in str(m["To"])]
    bodies = [m.get_body(preferencelist=("plain",)) for m in mails]
    texts = [b.get_content() if b is not None else "" for b in bodies]
    assert len(mails) == 4  # created, bulk summary, held, report
    assert any("line 3" in t for t in texts)
    assert any("approve" in t for t in texts)
    attachments = [a for m in mails for a in m.iter_attachments()]
    assert [a.get_filename() for a in attachments] == [f"rsvp-report-{invite}.csv"]


def test_an_icloud_organizer_hears_their_invite_was_recorded(tmp_path: Path) -> None:
    # iCloud relays an organizer's invite from noreply@insideicloud.icloud.com: a calendar
    # service, not a machine to stay silent to (the notice goes to the ORGANIZER, not the From).
    service = driver(bootstrap(Settings(data_dir=tmp_path, sender_policy="off")))
    raw = (CORPUS / "request/icloud-invite-fr.eml").read_bytes()
    result = service.ingest(raw, now=NOW)
    assert result.outcome.value == "created"
    organizer = service.show(str(result.invite)).organizer
    assert len(subjects(tmp_path, organizer)) == 1


def test_an_auto_reply_from_a_noreply_address_is_still_not_answered(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    robot = EmailMessage()
    robot["From"] = "noreply@example.org"
    robot["To"] = "create@invites.example"
    robot["Subject"] = "Thanks for your mail"
    robot.set_content("We received your message.")
    assert service.ingest(robot.as_bytes(), now=NOW).outcome.value == "rejected"
    assert notices(tmp_path) == []
