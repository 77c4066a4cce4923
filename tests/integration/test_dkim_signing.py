"""DKIM on real outbound mail: a key made by ``cis dkim keygen``, invitations sent through the
real SmtpMailer to an aiosmtpd relay on 127.0.0.1, every signature checked by dkimpy against
the TXT record the command printed (keys are made per run, never kept)."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from typing import cast

import dkim
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from dkim.util import parse_tag_value
from typer.testing import CliRunner, Result

from adapters.mail.dkim import DkimKeyError, DkimSigner
from adapters.mail.smtp import SmtpMailer
from application.ports import OutgoingMail
from application.send_types import Recipient, SendOutcome
from entrypoints.cli import app
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
INVITATION = CORPUS / "update/gcal-selfsent-seq0.ics"
SELECTOR = "cis2026"
DOMAIN = "example.net"
SENDER = f"invites@{DOMAIN}"
ZONE_LINE = re.compile(r"^(?P<name>\S+) IN TXT \( (?P<strings>.*) \)$", re.MULTILINE)


@dataclass(frozen=True)
class Published:
    """A data folder with a DKIM key, and the DNS that publishes its record."""

    data: Path
    records: dict[bytes, bytes]
    output: str

    def dns(self, name: bytes, timeout: float = 5) -> bytes | None:
        """What a resolver answers for ``name`` (dkimpy's ``dnsfunc``)."""
        return self.records.get(name)

    def verifies(self, message: bytes) -> bool:
        """Whether the message's top signature verifies against the published record."""
        return bool(dkim.verify(message, dnsfunc=self.dns))


def cis(data: Path, *arguments: str, env: dict[str, str] | None = None) -> Result:
    """Run ``cis --data-dir DATA ARGUMENTS`` in this process."""
    return CliRunner().invoke(app, ["--data-dir", str(data), *arguments], env=env)


def keygen(data: Path, *options: str) -> Published:
    """Run ``cis dkim keygen`` on ``data``; read the record from what it printed."""
    made = cis(data, "dkim", "keygen", *options)
    assert made.exit_code == 0, made.output
    return Published(data, published(made.stdout), made.stdout)


def published(output: str) -> dict[bytes, bytes]:
    """The TXT record of a printed zone line, as DNS would answer it (strings joined)."""
    match = ZONE_LINE.search(output)
    assert match is not None, output
    strings = re.findall(r'"([^"]*)"', match["strings"])
    assert strings
    assert all(len(part) <= 255 for part in strings)
    return {match["name"].encode(): "".join(strings).encode()}


class Relay:
    """Takes every message, keeping the bytes as they arrived."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 2.0.0 Ok: queued as D1"

    def to(self, address: str) -> bytes:
        """The one message that arrived for ``address``."""
        [found] = [e.content for e in self.received if address in e.rcpt_tos]
        assert isinstance(found, bytes)
        return found


class FreePortController(Controller):
    """An aiosmtpd server on 127.0.0.1, on whichever free port the OS gives it."""

    def _trigger_server(self) -> None:
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    inbox = Relay()
    server = FreePortController(inbox, hostname="127.0.0.1", port=0, server_hostname="mx.test")
    server.start()
    try:
        yield inbox, server.port
    finally:
        server.stop()


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return keygen(tmp_path_factory.mktemp("data"), "--selector", SELECTOR, "--domain", DOMAIN)


def smtp_settings(data: Path, port: int, **more: object) -> Settings:
    return Settings(
        data_dir=data,
        mailer="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        sender=SENDER,
        dkim_selector=SELECTOR,
        **more,  # type: ignore[arg-type]
    )


def signature_of(message: bytes) -> dict[bytes, bytes]:
    parsed = message_from_bytes(message)
    [value] = parsed.get_all("DKIM-Signature") or []
    fields: dict[bytes, bytes] = parse_tag_value(str(value).encode())
    return fields


def signed_names(fields: dict[bytes, bytes]) -> list[str]:
    return [name.strip().lower() for name in fields[b"h"].decode().split(":")]


@pytest.fixture
def mailer_for(
    key: Published,
) -> Iterator[Callable[[int, str], SmtpMailer]]:
    made: list[SmtpMailer] = []

    def make(port: int, domain: str = DOMAIN) -> SmtpMailer:
        signer = DkimSigner.from_file(key.data / "dkim" / f"{SELECTOR}.private", SELECTOR, domain)
        made.append(SmtpMailer("127.0.0.1", port, starttls=False, timeout=5, signer=signer))
        return made[-1]

    yield make
    for mailer in made:
        mailer.close()


def handmade(sender: str = SENDER) -> OutgoingMail:
    """A message with every header the signer signs, one-click unsubscribe included."""
    data = (
        f"From: Invitations <{sender}>\r\nReply-To: organizer@example.org\r\n"
        "To: bob@example.org\r\nSubject: Team lunch\r\nDate: Sat, 21 Nov 2026 15:00:00 +0000\r\n"
        "Message-ID: <m1@example.net>\r\nMIME-Version: 1.0\r\n"
        "List-Unsubscribe: <https://invites.example.net/u/abc>, <mailto:unsub@example.net>\r\n"
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Zoë, lunch at noon.\r\n.a leading dot\r\n"
    ).encode()
    return OutgoingMail("<m1@example.net>", f"bounces+t@{DOMAIN}", "bob@example.org", data)


def test_invitations_and_notices_arrive_signed_for_the_from_domain(
    key: Published, relay: tuple[Relay, int]
) -> None:
    inbox, port = relay
    service = driver(bootstrap(smtp_settings(key.data, port)))
    try:
        created = from_organizer(service, INVITATION.read_bytes(), now=NOW)
        results = service.send(str(created.invite), [Recipient("bob@example.org")], now=NOW)
    finally:
        service.close()
    assert [r.outcome for r in results] == [SendOutcome.SENT]
    invitation = inbox.to("bob@example.org")
    fields = signature_of(invitation)
    assert fields[b"d"] == DOMAIN.encode()
    assert fields[b"s"] == SELECTOR.encode()
    assert (fields[b"a"], fields[b"c"]) == (b"rsa-sha256", b"relaxed/relaxed")
    names = signed_names(fields)
    assert names.count("from") == 2  # oversigned: a From added later breaks it
    assert {"to", "subject", "date", "message-id", "mime-version", "content-type"} <= set(names)
    assert key.verifies(invitation)
    # Everything the server mailed through the relay (the organizer's notice too) is signed.
    assert len(inbox.received) >= 2
    assert all(key.verifies(e.content) for e in inbox.received if isinstance(e.content, bytes))


def test_the_one_click_headers_are_signed_and_tampering_breaks_the_signature(
    key: Published, relay: tuple[Relay, int], mailer_for: Callable[[int, str], SmtpMailer]
) -> None:
    inbox, port = relay
    mailer_for(port, DOMAIN).send(handmade())
    received = inbox.to("bob@example.org")
    names = signed_names(signature_of(received))
    assert {"list-unsubscribe", "list-unsubscribe-post", "reply-to"} <= set(names)
    assert key.verifies(received)
    tampered = [
        received.replace(b"Subject: Team lunch", b"Subject: Team dinner"),
        received.replace(b"/u/abc>", b"/u/abd>"),
        received.replace(b"Reply-To: organizer@", b"Reply-To: mallory@"),
        received.replace(b"\r\n\r\n", b"\r\nFrom: ceo@example.net\r\n\r\n", 1),
        received.replace(b"lunch at noon", b"lunch at one!"),
    ]
    for copy in tampered:
        assert copy != received
        assert not key.verifies(copy)


def test_a_subdomain_from_is_signed_by_the_parent_domain(
    key: Published, relay: tuple[Relay, int], mailer_for: Callable[[int, str], SmtpMailer]
) -> None:
    inbox, port = relay
    mailer_for(port, DOMAIN).send(handmade(sender=f"invites@news.{DOMAIN}"))
    received = inbox.to("bob@example.org")
    assert signature_of(received)[b"d"] == DOMAIN.encode()  # relaxed DMARC alignment
    assert key.verifies(received)


def test_mail_from_another_domain_goes_out_unsigned_with_one_warning(
    key: Published,
    relay: tuple[Relay, int],
    mailer_for: Callable[[int, str], SmtpMailer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, port = relay
    mailer = mailer_for(port, DOMAIN)
    with caplog.at_level(logging.WARNING, logger="adapters.mail.dkim"):
        mailer.send(handmade(sender="invites@elsewhere.test"))
        mailer.send(handmade(sender="invites@elsewhere.test"))
        # A look-alike is another domain, not a subdomain.
        mailer.send(handmade(sender=f"invites@not{DOMAIN}"))
    assert len(inbox.received) == 3
    assert all(b"DKIM-Signature" not in e.content for e in inbox.received)  # type: ignore[operator]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "elsewhere.test" in warnings[0]
    assert "BEGIN" not in " ".join(warnings)  # the key never reaches a log


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_key_others_may_read_is_refused_at_start(tmp_path: Path, mode: int) -> None:
    made = keygen(tmp_path, "--selector", SELECTOR, "--domain", DOMAIN)
    path = made.data / "dkim" / f"{SELECTOR}.private"
    path.chmod(mode)
    container = bootstrap(smtp_settings(tmp_path, 25))
    with pytest.raises(DkimKeyError, match=rf"permissions {mode:04o}.*chmod 600") as refused:
        container.mailer()
    assert "BEGIN" not in str(refused.value)
    # A command that would send says so in one line and stops.
    env = {
        "CIS_MAILER": "smtp",
        "CIS_SMTP_PORT": "25",
        "CIS_DKIM_SELECTOR": SELECTOR,
        "CIS_SENDER": SENDER,
    }
    retried = cis(tmp_path, "retry", env=env)
    assert retried.exit_code == 1
    assert "chmod 600" in retried.stderr
    shown = cis(tmp_path, "dkim", "show", env=env)
    assert shown.exit_code == 2
    assert "readable by its owner only" in shown.stderr


def test_a_selector_without_its_key_is_refused(tmp_path: Path) -> None:
    container = bootstrap(smtp_settings(tmp_path, 25))
    with pytest.raises(DkimKeyError, match=r"no DKIM private key.*cis dkim keygen"):
        container.mailer()


def test_keygen_writes_a_private_key_only_its_owner_reads_and_publishes_its_public_half(
    tmp_path: Path,
) -> None:
    made = keygen(tmp_path, "--selector", "Sel1", "--domain", "Mail.Example.NET")
    path = tmp_path / "dkim" / "sel1.private"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary file left
    [(name, value)] = made.records.items()
    assert name == b"sel1._domainkey.mail.example.net."
    tags = parse_tag_value(value)
    assert (tags[b"v"], tags[b"k"]) == (b"DKIM1", b"rsa")
    private = load_pem_private_key(path.read_bytes(), password=None)
    assert private.key_size == 2048  # type: ignore[union-attr]
    public = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert base64.b64decode(tags[b"p"]) == public
    assert "CIS_DKIM_SELECTOR=sel1" in made.output
    assert "CIS_DKIM_DOMAIN=mail.example.net" in made.output

    shown = cis(tmp_path, "dkim", "show", "--selector", "sel1", "--domain", "mail.example.net")
    assert shown.exit_code == 0, shown.output
    assert published(shown.stdout) == made.records

    before = path.read_bytes()
    again = cis(tmp_path, "dkim", "keygen", "--selector", "sel1", "--domain", "x.org")
    assert again.exit_code == 2
    assert "exists already" in again.stderr
    assert path.read_bytes() == before


def test_keygen_refuses_names_that_are_not_dns_names(tmp_path: Path) -> None:
    for selector, domain in (("../escape", DOMAIN), (SELECTOR, "exa mple.net")):
        refused = cis(tmp_path, "dkim", "keygen", "--selector", selector, "--domain", domain)
        assert refused.exit_code == 2
        assert "not a DNS name" in refused.stderr
    assert not (tmp_path / "dkim").exists() or not os.listdir(tmp_path / "dkim")


def test_the_outbox_keeps_copies_signed_as_they_would_go_out(key: Published) -> None:
    settings = Settings(data_dir=key.data, sender=SENDER, dkim_selector=SELECTOR)
    mailer = bootstrap(settings).mailer()
    kept = Path(mailer.send(handmade()))
    assert key.verifies(kept.read_bytes())
