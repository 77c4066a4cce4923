"""One suite for the Mailer port, run against the outbox folder, SMTP and Amazon SES."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.mail.outbox import OutboxFolderMailer
from adapters.mail.ses import SesMailer
from adapters.mail.smtp import SmtpMailer
from application.ports import Mailer, OutgoingMail

SENDER = "invites@cis.test"
RECIPIENT = "zoe@example.org"
REGION = "eu-west-1"


@dataclass(frozen=True)
class Received:
    """One message as the receiving side saw it: envelope recipients and bytes."""

    recipients: list[str]
    data: bytes


@dataclass(frozen=True)
class Rig:
    """A mailer under test and a way to read what its receiving side got."""

    mailer: Mailer
    received: Callable[[], list[Received]]


class FreePortController(Controller):
    """An aiosmtpd server on 127.0.0.1, on whichever free port the OS gives it."""

    def _trigger_server(self) -> None:
        # aiosmtpd's hook between binding and its first probe connection: learn the real port.
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class Inbox:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 2.0.0 Ok: queued as 4XQ7Z"


@pytest.fixture
def outbox_rig(tmp_path: Path) -> Rig:
    folder = tmp_path / "outbox"
    return Rig(
        OutboxFolderMailer(folder),
        lambda: [Received([RECIPIENT], p.read_bytes()) for p in sorted(folder.glob("*.eml"))],
    )


@pytest.fixture
def smtp_rig() -> Iterator[Rig]:
    inbox = Inbox()
    server = FreePortController(inbox, hostname="127.0.0.1", port=0, server_hostname="mx.test")
    server.start()
    mailer = SmtpMailer("127.0.0.1", server.port, local_hostname="cis.test", timeout=5)
    try:
        yield Rig(
            mailer,
            lambda: [Received(e.rcpt_tos, e.original_content or b"") for e in inbox.envelopes],
        )
    finally:
        mailer.close()
        server.stop()


@pytest.fixture
def ses_rig(monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    from moto import mock_aws
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    fake_aws_credentials(monkeypatch)
    with mock_aws():
        import boto3

        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        backend: Any = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
        yield Rig(
            SesMailer(REGION),
            # moto adds the To/Cc header addresses after the envelope's; the envelope comes first.
            lambda: [
                Received(m.destinations[:1], m.raw_data.encode()) for m in backend.sent_messages
            ],
        )


def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point boto3 at fixed fake credentials, so nothing can reach a real account."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture(params=["outbox", "smtp", "ses"])
def rig(request: pytest.FixtureRequest) -> Rig:
    rig: Rig = request.getfixturevalue(f"{request.param}_rig")
    return rig


def invite(message_id: str = "<3f2a9c-0-zoe@cis.test>") -> OutgoingMail:
    """Build a real invite email: Unicode text, HTML, a text/calendar part and an .ics file."""
    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//cis//test//EN\r\nMETHOD:REQUEST\r\n"
        "BEGIN:VEVENT\r\nUID:3f2a9c@cis.test\r\nSEQUENCE:2\r\nDTSTAMP:20250101T090000Z\r\n"
        "DTSTART:20250301T100000Z\r\nDTEND:20250301T110000Z\r\nSUMMARY:Café ☕ planning\r\n"
        "ORGANIZER;CN=Ångström:mailto:invites@cis.test\r\n"
        "ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:zoe@example.org\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = f"Ångström via CIS <{SENDER}>"
    message["To"] = f"Zoë <{RECIPIENT}>"
    message["Subject"] = "Invitation: Café ☕ planning"
    message["Message-ID"] = message_id
    message.set_content("Zoë, you are invited — café at ten.\n")
    message.add_alternative("<p>Zoë, you are invited &mdash; café at ten.</p>\n", subtype="html")
    message.add_alternative(calendar, subtype="calendar", params={"method": "REQUEST"})
    message.add_attachment(calendar.encode(), "application", "ics", filename="invite.ics")
    return OutgoingMail(message_id, SENDER, RECIPIENT, message.as_bytes())


def parsed(data: bytes) -> tuple[list[tuple[str, str]], list[bytes]]:
    """Return a message's headers and decoded leaf payloads, line endings normalized."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    leaves = [part.get_payload(decode=True) for part in message.walk()]
    payloads = [p.replace(b"\r\n", b"\n") for p in leaves if isinstance(p, bytes)]
    return [(k, str(v)) for k, v in message.items()], payloads


def test_delivers_exactly_the_message_to_its_envelope_recipient(rig: Rig) -> None:
    mail = invite()
    rig.mailer.send(mail)
    [got] = rig.received()
    assert got.recipients == [RECIPIENT]
    assert got.data == mail.data


def test_delivers_bare_line_feed_messages_intact(rig: Rig) -> None:
    # SMTP must send CRLF, so only the parsed message, not its bytes, has to survive.
    mail = invite()
    bare = OutgoingMail(mail.message_id, SENDER, RECIPIENT, mail.data.replace(b"\r\n", b"\n"))
    rig.mailer.send(bare)
    [got] = rig.received()
    assert parsed(got.data) == parsed(bare.data)
    assert len(parsed(got.data)[1]) == 4


def test_says_where_the_message_went(rig: Rig) -> None:
    assert rig.mailer.send(invite()).strip()


def test_sends_several_messages_in_turn(rig: Rig) -> None:
    ids = [f"<m{n}@cis.test>" for n in range(3)]
    for message_id in ids:
        rig.mailer.send(invite(message_id))
    parser = BytesParser(policy=policy.default)
    assert [parser.parsebytes(r.data)["Message-ID"] for r in rig.received()] == ids


def test_outbox_keeps_one_file_when_a_message_is_sent_again(tmp_path: Path) -> None:
    mailer = OutboxFolderMailer(tmp_path)
    first = mailer.send(invite())
    retry = invite()  # the same Message-ID, rendered again (its MIME boundaries differ)
    assert mailer.send(retry) == first
    assert [p.name for p in tmp_path.iterdir()] == [Path(first).name]
    assert Path(first).read_bytes() == retry.data


def test_outbox_names_never_leave_the_folder(tmp_path: Path) -> None:
    mailer = OutboxFolderMailer(tmp_path / "outbox")
    for hostile in ("<../../escape@x>", "<a/b\\c@x>", "..", "", "<.hidden@x>"):
        path = Path(mailer.send(invite(hostile)))
        assert path.parent == tmp_path / "outbox"
        assert not path.name.startswith(".")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outbox"]


def test_outbox_lists_what_was_sent(tmp_path: Path) -> None:
    mailer = OutboxFolderMailer(tmp_path)
    path = mailer.send(invite())
    [entry] = mailer.entries()
    assert str(entry.path) == path
    assert entry.to == f"Zoë <{RECIPIENT}>"
    assert entry.subject == "Invitation: Café ☕ planning"
    assert entry.message_id == "<3f2a9c-0-zoe@cis.test>"
    assert (entry.method, entry.sequence) == ("REQUEST", 2)
