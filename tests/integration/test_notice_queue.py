"""The organizer's notice reaches the outbox folder whoever ingests: the embedded server (from
its background work, after the SMTP answer) and ``cis ingest`` (before it exits)."""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dependency_injector import providers

from adapters.mail.outbox import OutboxFolderMailer
from application.ports import Mailer, OutgoingMail, TemporaryDeliveryError
from application.send_types import SendOutcome
from entrypoints.container import Container, bootstrap
from entrypoints.server import LocalServer
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import organizer_of
from tests.driver import driver
from tests.e2e.test_cli import cis, lines

DOMAIN = "invites.example"
INVITATION = CORPUS / "update/gcal-selfsent-seq0.ics"
ORGANIZER = organizer_of(INVITATION.read_bytes())
# Long enough for any honest wait on this machine; a test waiting this long has failed.
PATIENCE = 20.0


class HeldForOrganizer(Mailer):
    """The real outbox mailer, except that mail to the organizer waits until ``released``
    (and then fails as a relay's 4xx while ``down`` is set)."""

    def __init__(self, real: OutboxFolderMailer) -> None:
        self.real = real
        self.reached = threading.Event()
        self.released = threading.Event()
        self.down: str | None = None

    def send(self, mail: OutgoingMail) -> str:
        if mail.recipient == ORGANIZER:
            self.reached.set()
            self.released.wait(PATIENCE)
            if self.down is not None:
                raise TemporaryDeliveryError(self.down)
        return self.real.send(mail)


@dataclass
class Serving:
    container: Container
    mailer: HeldForOrganizer
    smtp: tuple[str, int]
    outbox: Path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Serving]:
    """``cis serve``'s server on free ports, its mail to the organizer held until released."""
    settings = Settings(data_dir=tmp_path, mail_domain=DOMAIN, parse_budget=0)
    container = bootstrap(settings)
    mailer = HeldForOrganizer(OutboxFolderMailer(settings.outbox_path))
    container.mailer.override(providers.Object(mailer))
    local = LocalServer(container, http_port=0, smtp_port=0)
    where = local.start()
    try:
        yield Serving(container, mailer, where.smtp, settings.outbox_path)
    finally:
        mailer.released.set()
        local.stop()


def mail_in(smtp: tuple[str, int]) -> None:
    """Mail the invitation to the drop box, as the organizer's server would."""
    wire = INVITATION.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with smtplib.SMTP(*smtp, timeout=PATIENCE) as client:
        assert client.sendmail(ORGANIZER, [f"create@{DOMAIN}"], wire) == {}


def notices_to_organizer(outbox: Path) -> list[str]:
    """Return the subjects of the notices in the outbox folder (they carry no METHOD)."""
    if not outbox.is_dir():
        return []
    entries = OutboxFolderMailer(outbox).entries()
    return [e.subject for e in entries if e.method is None and ORGANIZER in e.to]


def eventually_notified(outbox: Path) -> list[str]:
    """Return the organizer's notices once there is one (or, past patience, none)."""
    deadline = time.monotonic() + PATIENCE
    while not (found := notices_to_organizer(outbox)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def test_the_server_answers_before_the_notice_is_sent_and_then_sends_it(
    server: Serving,
) -> None:
    mail_in(server.smtp)
    # The SMTP answer came while the notice is still held in the mailer, in the background.
    assert server.mailer.reached.wait(PATIENCE)
    assert notices_to_organizer(server.outbox) == []
    server.mailer.released.set()
    assert len(eventually_notified(server.outbox)) == 1


def test_a_notice_the_mailer_refuses_in_the_background_is_kept_for_the_retry(
    server: Serving,
) -> None:
    server.mailer.down = "451 4.3.0 try again later"
    server.mailer.released.set()
    mail_in(server.smtp)
    assert server.mailer.reached.wait(PATIENCE)
    server.container.notifier().stop_background()  # the attempt under way is finished
    assert notices_to_organizer(server.outbox) == []
    server.mailer.down = None
    retried = driver(server.container).retry(now=datetime.now(UTC))
    assert [(r.address, r.outcome, r.notice) for r in retried] == [
        (ORGANIZER, SendOutcome.SENT, "created")
    ]
    assert len(notices_to_organizer(server.outbox)) == 1


def test_stopping_the_server_sends_the_notices_still_queued(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, mail_domain=DOMAIN, parse_budget=0)
    local = LocalServer(bootstrap(settings), http_port=0, smtp_port=0)
    where = local.start()
    try:
        mail_in(where.smtp)
    finally:
        local.stop()  # at once: the burst's notice may not have left yet
    assert len(notices_to_organizer(settings.outbox_path)) == 1


def test_cis_ingest_has_sent_the_notice_when_it_exits(tmp_path: Path) -> None:
    ingested = cis(tmp_path, "ingest", "--from", ORGANIZER, str(INVITATION))
    assert ingested.returncode == 0, ingested.stderr
    assert [row["outcome"] for row in lines(ingested)] == ["created"]
    assert len(notices_to_organizer(tmp_path / "outbox")) == 1
