"""The SMTP drop box on 127.0.0.1, driven by a real smtplib client: whose mail it takes, and how."""

from __future__ import annotations

import logging
import smtplib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.mail.dropbox import DropBox, SmtpClient
from application.inbound.routing import Mailboxes
from application.results import IngestResult
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.driver import driver

DOMAIN = "invites.example.com"
NOW = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)
# A real Android client's invite, CRLF line ends as on the wire; its sender is the organizer.
INVITE = (CORPUS / "request/android-email-invite.eml").read_bytes()
ORGANIZER = "david.phan@blue-mind.net"
SMALL = b"From: ann@example.org\r\nSubject: hello\r\n\r\nA short note.\r\n"


class Recorder:
    """A fake ingest: remembers every call; raises ``fail`` when given one."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[tuple[bytes, str, str | None]] = []
        self.clients: list[SmtpClient] = []
        self.fail = fail

    def __call__(
        self, raw: bytes, envelope_to: str, envelope_from: str | None, client: SmtpClient
    ) -> None:
        self.calls.append((raw, envelope_to, envelope_from))
        self.clients.append(client)
        if self.fail is not None:
            raise self.fail


Serve = Callable[..., DropBox]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start drop boxes for DOMAIN on 127.0.0.1 port 0; every one stops when the test ends."""
    with ExitStack() as running:

        def start(
            accept: Callable[[bytes, str, str | None, SmtpClient], object], **options: Any
        ) -> DropBox:
            box = DropBox(accept, domain=DOMAIN, mailboxes=Mailboxes(), **options)
            return running.enter_context(box)

        yield start


@pytest.fixture
def client() -> Iterator[Callable[[DropBox], smtplib.SMTP]]:
    """Open smtplib connections to a drop box; each one is closed when the test ends."""
    with ExitStack() as opened:

        def connect(box: DropBox) -> smtplib.SMTP:
            smtp = smtplib.SMTP(box.host, box.port, local_hostname="client.test", timeout=5)
            return opened.enter_context(smtp)

        yield connect


def test_a_corpus_invite_sent_to_create_is_created(
    tmp_path: Path, serve: Serve, client: Callable[[DropBox], smtplib.SMTP]
) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, mail_domain=DOMAIN)))
    results: list[IngestResult] = []

    def ingest(raw: bytes, envelope_to: str, envelope_from: str | None, client: SmtpClient) -> None:
        results.append(
            service.ingest(raw, now=NOW, envelope_to=envelope_to, envelope_from=envelope_from)
        )

    box = serve(ingest)
    refused = client(box).sendmail(ORGANIZER, [f"create@{DOMAIN}"], INVITE)
    assert refused == {}
    [result] = results
    assert result.outcome is Outcome.CREATED
    [invite] = service.invites()
    assert invite.uid == result.uid == "c59aa4cb-8515-4696-bb74-1b3e8711cb45"
    # The kept raw message is exactly what the client sent: nothing prepended, nothing decoded.
    assert service.blobs.get(result.message) == INVITE


def test_port_zero_binds_a_free_port_that_is_released_on_stop() -> None:
    with DropBox(Recorder(), domain=DOMAIN, mailboxes=Mailboxes()) as box:
        assert box.host == "127.0.0.1"
        assert box.port > 0
        with socket.create_connection((box.host, box.port), timeout=5) as probe:
            assert probe.recv(512).startswith(f"220 {DOMAIN}".encode())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((box.host, box.port), timeout=5).close()
    box.stop()  # stopping twice is harmless


@pytest.mark.parametrize(
    "address",
    [
        f"create@{DOMAIN}",
        f"rsvp@{DOMAIN}",
        f"bulk@{DOMAIN}",
        f"rsvp+k5v2c7qnnbuxg3tf@{DOMAIN}",
        f"bounces+k5v2c7qnnbuxg3tf@{DOMAIN}",
        f"create@{DOMAIN.upper()}",
        f"Create+Team-A@{DOMAIN}",
    ],
)
def test_its_own_mailboxes_are_accepted(
    address: str, serve: Serve, client: Callable[[DropBox], smtplib.SMTP]
) -> None:
    accept = Recorder()
    client(serve(accept)).sendmail("ann@example.org", [address], SMALL)
    assert accept.calls == [(SMALL, address, "ann@example.org")]


@pytest.mark.parametrize(
    "address",
    [
        "create@example.org",  # another domain: never a relay
        f"create@mail.{DOMAIN}",
        f"create@{DOMAIN}.evil.example",
        f"postmaster@{DOMAIN}",  # not one of the mailboxes
        f"creator@{DOMAIN}",
        f"create+@{DOMAIN}",
        f"create+a+b@{DOMAIN}",
        f'"create x"@{DOMAIN}',  # a quoted local part ("create"@ would be create@ itself)
        f"bounces-x@{DOMAIN}",
    ],
)
def test_other_recipients_are_refused_with_550(
    address: str, serve: Serve, client: Callable[[DropBox], smtplib.SMTP]
) -> None:
    accept = Recorder()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client(serve(accept)).sendmail("ann@example.org", [address], SMALL)
    [(code, reply)] = refused.value.recipients.values()
    assert code == 550
    assert reply == f"5.1.1 <{address}>: no such mailbox here".encode()
    assert accept.calls == []


def test_only_the_accepted_recipients_of_a_mixed_message_are_ingested(
    serve: Serve, client: Callable[[DropBox], smtplib.SMTP]
) -> None:
    accept = Recorder()
    refused = client(serve(accept)).sendmail(
        "ann@example.org", ["zoe@example.org", f"create@{DOMAIN}"], SMALL
    )
    assert list(refused) == ["zoe@example.org"]
    assert refused["zoe@example.org"][0] == 550
    assert [to for _, to, _ in accept.calls] == [f"create@{DOMAIN}"]


def test_a_message_to_two_mailboxes_is_accepted_once_per_recipient(
    serve: Serve, client: Callable[[DropBox], smtplib.SMTP]
) -> None:
    accept = Recorder()
    recipients = [f"create@{DOMAIN}", f"bulk@{DOMAIN}", f"CREATE@{DOMAIN}"]  # the last repeats
    client(serve(accept)).sendmail("ann@example.org", recipients, SMALL)
    assert accept.calls == [
        (SMALL, f"create@{DOMAIN}", "ann@example.org"),
        (SMALL, f"bulk@{DOMAIN}", "ann@example.org"),
    ]


def test_the_null_sender_of_a_bounce_reaches_accept_as_none(
    serve: Serve, client: Callable[[DropBox], smtplib.SMTP]
) -> None:
    accept = Recorder()
    client(serve(accept)).sendmail("", [f"bounces+k5v2c7qnnbuxg3tf@{DOMAIN}"], SMALL)
    assert accept.calls == [(SMALL, f"bounces+k5v2c7qnnbuxg3tf@{DOMAIN}", None)]


def test_the_connecting_address_and_helo_reach_accept_for_spf(
    serve: Serve, client: Callable[[DropBox], smtplib.SMTP]
) -> None:
    recorder = Recorder()
    box = serve(recorder)
    client(box).sendmail("ann@example.org", [f"create@{DOMAIN}"], SMALL)
    assert recorder.clients == [SmtpClient("127.0.0.1", "client.test")]


def test_a_failing_accept_answers_451_so_the_sender_retries(
    serve: Serve, client: Callable[[DropBox], smtplib.SMTP], caplog: pytest.LogCaptureFixture
) -> None:
    accept = Recorder(fail=OSError("disk full"))
    smtp = client(serve(accept))
    with (
        caplog.at_level(logging.ERROR, logger="adapters.mail.dropbox"),
        pytest.raises(smtplib.SMTPDataError) as failed,
    ):
        smtp.sendmail("ann@example.org", [f"create@{DOMAIN}", f"bulk@{DOMAIN}"], SMALL)
    assert (failed.value.smtp_code, failed.value.smtp_error) == (451, b"4.3.0 try again later")
    # It stops at the first failure: the retry brings every recipient again.
    assert [to for _, to, _ in accept.calls] == [f"create@{DOMAIN}"]
    [record] = caplog.records
    assert record.exc_info is not None
    assert "disk full" in str(record.exc_info[1])
    assert f"create@{DOMAIN}" in record.getMessage()
    accept.fail = None
    assert smtp.sendmail("ann@example.org", [f"create@{DOMAIN}"], SMALL) == {}  # session lives


def test_an_oversized_message_is_refused_with_552(
    serve: Serve, client: Callable[[DropBox], smtplib.SMTP]
) -> None:
    accept = Recorder()
    box = serve(accept, max_size=1024)
    big = SMALL + b"x" * 70 + b"\r\n"
    big *= 2048 // len(big)
    # smtplib declares the size (SIZE=) when offered: refused before any data is sent.
    with pytest.raises(smtplib.SMTPSenderRefused) as declared:
        client(box).sendmail("ann@example.org", [f"create@{DOMAIN}"], big)
    assert declared.value.smtp_code == 552
    # A client that declares nothing is refused at the end of DATA.
    smtp = client(box)
    smtp.ehlo()
    assert smtp.mail("ann@example.org")[0] == 250
    assert smtp.rcpt(f"create@{DOMAIN}")[0] == 250
    assert smtp.data(big)[0] == 552
    assert accept.calls == []


def test_a_slow_accept_does_not_block_other_sessions(
    serve: Serve, client: Callable[[DropBox], smtplib.SMTP]
) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(raw: bytes, envelope_to: str, envelope_from: str | None, _: SmtpClient) -> None:
        entered.set()
        release.wait(10)

    box = serve(slow)
    first = client(box)
    sending = threading.Thread(
        target=first.sendmail, args=("ann@example.org", [f"create@{DOMAIN}"], SMALL)
    )
    sending.start()
    try:
        assert entered.wait(5)
        # The event loop still answers while the first message is being ingested.
        assert client(box).noop()[0] == 250
    finally:
        release.set()
        sending.join(10)
    assert not sending.is_alive()
