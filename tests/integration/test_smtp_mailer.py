"""SmtpMailer against real aiosmtpd servers on 127.0.0.1: STARTTLS, AUTH, refusals, outages."""

from __future__ import annotations

import asyncio
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from adapters.mail.smtp import SmtpMailer
from application.ports import (
    DeliveryError,
    OutgoingMail,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)

USER = "cis"
DATA = (
    "From: invites@cis.test\r\nTo: zoe@example.org\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n"
    "Message-ID: <1@cis.test>\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n\r\nZoë, café at ten.\r\n.leading dot\r\n"
).encode()


def mail_to(recipient: str = "zoe@example.org") -> OutgoingMail:
    """Return a small 8-bit UTF-8 message for ``recipient``."""
    return OutgoingMail("<1@cis.test>", "invites@cis.test", recipient, DATA)


class FreePortController(Controller):
    """An aiosmtpd server on 127.0.0.1, on whichever free port the OS gives it."""

    def _trigger_server(self) -> None:
        # aiosmtpd's hook between binding and its first probe connection: learn the real port.
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class Inbox:
    """Accepts mail like a real server: refuses some recipients, remembers how each arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[Envelope, bool, bool]] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("busy@"):
            return "451 4.2.1 Mailbox busy, try later"
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append((envelope, session.ssl is not None, bool(session.authenticated)))
        return "250 2.0.0 Ok: queued as 9QX2"


class Accounts:
    """An aiosmtpd authenticator with one account whose password is made per run."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.attempts = 0

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.attempts += 1
        ok = isinstance(data, LoginPassword) and (
            data.login == USER.encode()
            and secrets.compare_digest(data.password, self.password.encode())
        )
        # handled=False: aiosmtpd itself answers a failure with 535.
        return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def password() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[Inbox, int]]]:
    """Start aiosmtpd servers on demand; every one stops when the test ends."""
    servers: list[Controller] = []

    def start(**options: Any) -> tuple[Inbox, int]:
        inbox = Inbox()
        server = FreePortController(
            inbox, hostname="127.0.0.1", port=0, server_hostname="mx.test", **options
        )
        server.start()
        servers.append(server)
        return inbox, server.port

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def secured(
    serve: Callable[..., tuple[Inbox, int]], server_tls: ssl.SSLContext, password: str
) -> tuple[Inbox, int, Accounts]:
    """A server that insists on STARTTLS, then AUTH, like a submission port."""
    accounts = Accounts(password)
    inbox, port = serve(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=accounts,
        auth_required=True,
        auth_require_tls=True,
    )
    return inbox, port, accounts


@pytest.fixture
def mailer() -> Iterator[Callable[..., SmtpMailer]]:
    """Make SmtpMailers for 127.0.0.1; each one's kept connection is closed when the test ends."""
    made: list[SmtpMailer] = []

    def make(port: int, **options: Any) -> SmtpMailer:
        made.append(SmtpMailer("127.0.0.1", port, local_hostname="cis.test", timeout=5, **options))
        return made[-1]

    yield make
    for smtp in made:
        smtp.close()


def test_sends_over_starttls_with_auth(
    secured: tuple[Inbox, int, Accounts],
    client_tls: ssl.SSLContext,
    password: str,
    mailer: Callable[..., SmtpMailer],
) -> None:
    inbox, port, _ = secured
    smtp = mailer(port, starttls=True, username=USER, password=password, ssl_context=client_tls)
    where = smtp.send(mail_to())
    [(envelope, encrypted, authenticated)] = inbox.received
    assert (encrypted, authenticated) == (True, True)
    assert envelope.mail_from == "invites@cis.test"
    assert envelope.rcpt_tos == ["zoe@example.org"]
    assert envelope.content == DATA
    assert "BODY=8BITMIME" in envelope.mail_options
    assert where == f"smtp:127.0.0.1:{port} 9QX2"


def test_auto_uses_starttls_when_the_server_offers_it(
    secured: tuple[Inbox, int, Accounts],
    client_tls: ssl.SSLContext,
    password: str,
    mailer: Callable[..., SmtpMailer],
) -> None:
    inbox, port, _ = secured
    mailer(port, username=USER, password=password, ssl_context=client_tls).send(mail_to())
    assert [encrypted for _, encrypted, _ in inbox.received] == [True]


def test_wrong_password_is_permanent(
    secured: tuple[Inbox, int, Accounts],
    client_tls: ssl.SSLContext,
    mailer: Callable[..., SmtpMailer],
) -> None:
    inbox, port, _ = secured
    smtp = mailer(port, username=USER, password="not-" + "it", ssl_context=client_tls)
    with pytest.raises(PermanentDeliveryError, match="535"):
        smtp.send(mail_to())
    assert inbox.received == []


def test_never_sends_a_password_in_clear_text(
    serve: Callable[..., tuple[Inbox, int]], password: str, mailer: Callable[..., SmtpMailer]
) -> None:
    accounts = Accounts(password)
    inbox, port = serve(authenticator=accounts, auth_require_tls=False)
    with pytest.raises(PermanentDeliveryError, match="STARTTLS"):
        mailer(port, username=USER, password=password).send(mail_to())
    assert (accounts.attempts, inbox.received) == (0, [])


def test_untrusted_certificate_is_permanent(
    secured: tuple[Inbox, int, Accounts], mailer: Callable[..., SmtpMailer]
) -> None:
    # The default context trusts the system CAs, not this run's throwaway CA.
    inbox, port, _ = secured
    with pytest.raises(PermanentDeliveryError, match="certificate"):
        mailer(port, starttls=True).send(mail_to())
    assert inbox.received == []


def test_sends_over_implicit_tls(
    serve: Callable[..., tuple[Inbox, int]],
    server_tls: ssl.SSLContext,
    client_tls: ssl.SSLContext,
    mailer: Callable[..., SmtpMailer],
) -> None:
    inbox, port = serve(ssl_context=server_tls)
    mailer(port, implicit_tls=True, ssl_context=client_tls).send(mail_to())
    assert [envelope.content for envelope, _, _ in inbox.received] == [DATA]


@pytest.mark.parametrize(
    ("recipient", "error", "code"),
    [
        ("busy@example.org", TemporaryDeliveryError, "451"),
        ("nobody@example.org", PermanentDeliveryError, "550"),
    ],
)
def test_refused_recipient_is_classified_by_reply_code(
    serve: Callable[..., tuple[Inbox, int]],
    recipient: str,
    error: type[DeliveryError],
    code: str,
    mailer: Callable[..., SmtpMailer],
) -> None:
    inbox, port = serve()
    smtp = mailer(port)
    with pytest.raises(error, match=rf"{recipient}: {code} \d\.\d\.\d \w+") as raised:
        smtp.send(mail_to(recipient))
    assert raised.value.reason.startswith(f"smtp:127.0.0.1:{port} refused")
    smtp.send(mail_to())  # the mailer recovers for the next recipient
    assert [envelope.rcpt_tos for envelope, _, _ in inbox.received] == [["zoe@example.org"]]


def test_nothing_listening_is_temporary(mailer: Callable[..., SmtpMailer]) -> None:
    # A bound but not listening socket holds a free port nobody can answer on.
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        with pytest.raises(TemporaryDeliveryError, match=f"127.0.0.1:{port}"):
            mailer(port).send(mail_to())


def test_reconnects_after_the_server_drops_an_idle_connection(
    serve: Callable[..., tuple[Inbox, int]], mailer: Callable[..., SmtpMailer]
) -> None:
    inbox, port = serve(timeout=0.2)
    smtp = mailer(port)
    smtp.send(mail_to())
    time.sleep(0.5)  # longer than the server's idle timeout
    smtp.send(mail_to())
    assert len(inbox.received) == 2


def test_internationalized_recipient_needs_smtputf8(
    serve: Callable[..., tuple[Inbox, int]], mailer: Callable[..., SmtpMailer]
) -> None:
    inbox, port = serve(enable_SMTPUTF8=True)
    mailer(port).send(mail_to("zoë@example.org"))
    assert [envelope.rcpt_tos for envelope, _, _ in inbox.received] == [["zoë@example.org"]]
    _, plain = serve(enable_SMTPUTF8=False)
    with pytest.raises(PermanentDeliveryError, match="SMTPUTF8"):
        mailer(plain).send(mail_to("zoë@example.org"))
