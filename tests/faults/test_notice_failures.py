"""An organizer notice the mailer cannot take: the message it reports stays recorded and
answered, the notice is kept, and the next retry sends it, once."""

from __future__ import annotations

import errno
import os
import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dependency_injector import providers

from adapters.mail.outbox import OutboxFolderMailer
from application.ports import Mailer, OutgoingMail, TemporaryDeliveryError
from application.send_types import SendOutcome
from entrypoints.container import Container, bootstrap
from entrypoints.server import dropbox_for
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer, organizer_of
from tests.driver import driver
from tests.e2e.test_cli import cis, lines

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
INVITATION = CORPUS / "update/gcal-selfsent-seq0.ics"
ORGANIZER = organizer_of(INVITATION.read_bytes())


class OrganizerUnreachable(Mailer):
    """The real outbox mailer, except that mail to the organizer fails while ``down`` is set:
    as a 4xx relay answer, or as a bare OSError from a mailer that does not classify it."""

    def __init__(self, real: OutboxFolderMailer, down: Exception | None) -> None:
        self.real = real
        self.down = down

    def send(self, mail: OutgoingMail) -> str:
        if self.down is not None and mail.recipient == ORGANIZER:
            raise self.down
        return self.real.send(mail)


def notices_to_organizer(outbox: Path) -> list[str]:
    """Return the subjects of the notices in the outbox folder (they carry no METHOD)."""
    entries = OutboxFolderMailer(outbox).entries()
    return [e.subject for e in entries if e.method is None and ORGANIZER in e.to]


def wired(data: Path, mailer: Mailer) -> Container:
    container = bootstrap(Settings(data_dir=data))
    container.mailer.override(providers.Object(mailer))
    return container


@pytest.mark.parametrize(
    "failure",
    [
        TemporaryDeliveryError("451 4.3.0 try again later"),
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
    ],
    ids=["relay-451", "bare-oserror"],
)
def test_a_notice_that_cannot_go_now_goes_out_on_the_next_retry(
    tmp_path: Path, failure: Exception
) -> None:
    mailer = OrganizerUnreachable(OutboxFolderMailer(tmp_path / "outbox"), down=failure)
    service = driver(wired(tmp_path, mailer))
    created = from_organizer(service, INVITATION.read_bytes(), now=NOW)
    assert created.outcome.value == "created"
    assert notices_to_organizer(tmp_path / "outbox") == []
    mailer.down = None
    retried = service.retry(now=NOW)
    assert [(r.address, r.outcome, r.notice) for r in retried] == [
        (ORGANIZER, SendOutcome.SENT, "created")
    ]
    assert len(notices_to_organizer(tmp_path / "outbox")) == 1
    assert service.retry(now=NOW) == []


def test_a_notice_still_refused_stays_kept_for_the_retry_after(tmp_path: Path) -> None:
    refusal = TemporaryDeliveryError("451 4.3.0 try again later")
    mailer = OrganizerUnreachable(OutboxFolderMailer(tmp_path / "outbox"), down=refusal)
    service = driver(wired(tmp_path, mailer))
    from_organizer(service, INVITATION.read_bytes(), now=NOW)
    again = service.retry(now=NOW)
    assert [(r.outcome, r.notice, r.reason) for r in again] == [
        (SendOutcome.QUEUED, "created", "451 4.3.0 try again later")
    ]
    mailer.down = None
    assert [r.outcome for r in service.retry(now=NOW)] == [SendOutcome.SENT]


def test_cis_ingest_prints_its_line_and_cis_retry_sends_the_notice(tmp_path: Path) -> None:
    # A file where the outbox folder should be: every write there fails (as a full disk does).
    blocked = tmp_path / "outbox"
    blocked.write_text("not a folder")
    ingested = cis(tmp_path, "ingest", "--from", ORGANIZER, str(INVITATION))
    assert "Traceback" not in ingested.stderr, ingested.stderr
    assert ingested.returncode == 0, ingested.stderr
    assert [row["outcome"] for row in lines(ingested)] == ["created"]
    blocked.unlink()
    retried = cis(tmp_path, "retry", "--json")
    assert retried.returncode == 0, retried.stderr
    assert [(row["outcome"], row["notice"]) for row in lines(retried)] == [("sent", "created")]
    assert len(notices_to_organizer(tmp_path / "outbox")) == 1
    assert lines(cis(tmp_path, "retry", "--json")) == []


@pytest.fixture
def blocked_outbox_dropbox(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A drop box on 127.0.0.1 whose outbox folder cannot be written."""
    (tmp_path / "outbox").write_text("not a folder")
    container = bootstrap(Settings(data_dir=tmp_path, mail_domain="invites.example"))
    dropbox = dropbox_for(container)
    dropbox.start()
    try:
        yield dropbox.host, dropbox.port
    finally:
        dropbox.stop()


def test_a_recorded_message_is_accepted_over_smtp_though_its_notice_failed(
    tmp_path: Path, blocked_outbox_dropbox: tuple[str, int]
) -> None:
    host, port = blocked_outbox_dropbox
    wire = INVITATION.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        # A 451 here would make the sender's server offer a recorded message again and again.
        refused = smtp.sendmail(ORGANIZER, ["create@invites.example"], wire)
    assert refused == {}
    listed = cis(tmp_path, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(lines(listed)) == 1
