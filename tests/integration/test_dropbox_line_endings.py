"""Mail whose lines end in a bare LF, sent to a real drop box on 127.0.0.1 by a raw socket client.

Files saved by Unix tools (the corpus's, most ``.eml`` files) end their lines in LF alone; the
drop box takes each such line as if it ended in CRLF, but ends DATA only on CRLF "." CRLF.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.mail.dropbox import DropBox, SmtpClient
from application.inbound.routing import Mailboxes
from application.results import IngestResult
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import driver
from tests.integration.test_dropbox import DOMAIN, INVITE, NOW, ORGANIZER, Recorder

END = b"\r\n.\r\n"


class RawClient:
    """An SMTP client on a bare socket: sends exactly the bytes it is given."""

    def __init__(self, box: DropBox) -> None:
        self.sock = socket.create_connection((box.host, box.port), timeout=5)
        self.pending = b""
        assert self.reply().startswith("220")

    def reply(self) -> str:
        """Return the next reply, multi-line ones whole."""
        lines: list[str] = []
        while True:
            while b"\r\n" not in self.pending:
                chunk = self.sock.recv(4096)
                assert chunk, f"connection closed after {lines}"
                self.pending += chunk
            line, _, self.pending = self.pending.partition(b"\r\n")
            lines.append(line.decode())
            if line[3:4] != b"-":
                return "\n".join(lines)

    def say(self, command: bytes) -> str:
        """Send ``command`` (its line end included) and return the reply."""
        self.sock.sendall(command)
        return self.reply()

    def start_data(self, sender: str, to: str) -> None:
        """Open a transaction from ``sender`` to ``to`` up to DATA's 354."""
        assert self.say(b"EHLO client.test\r\n").startswith("250")
        assert self.say(f"MAIL FROM:<{sender}>\r\n".encode()).startswith("250")
        assert self.say(f"RCPT TO:<{to}>\r\n".encode()).startswith("250")
        assert self.say(b"DATA\r\n").startswith("354")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_client() -> Iterator[list[RawClient]]:
    opened: list[RawClient] = []
    yield opened
    for client in opened:
        client.close()


def connect(box: DropBox, opened: list[RawClient]) -> RawClient:
    client = RawClient(box)
    opened.append(client)
    return client


def lf_only(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n")


def test_a_corpus_invite_with_lf_line_ends_is_created(
    tmp_path: Path, raw_client: list[RawClient]
) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, mail_domain=DOMAIN)))
    results: list[IngestResult] = []

    def ingest(raw: bytes, to: str, sender: str | None, _: SmtpClient) -> None:
        results.append(service.ingest(raw, now=NOW, envelope_to=to, envelope_from=sender))

    body = lf_only(INVITE).rstrip(b"\n")
    assert max(len(line) for line in body.split(b"\n")) < 1000 < len(body)  # was "too long"
    with DropBox(ingest, domain=DOMAIN, mailboxes=Mailboxes()) as box:
        client = connect(box, raw_client)
        client.start_data(ORGANIZER, f"create@{DOMAIN}")
        assert client.say(body + END) == "250 OK"
        assert client.say(b"QUIT\r\n").startswith("221")
    [result] = results
    assert result.outcome is Outcome.CREATED
    # What is kept is the message as if it had been sent with CRLF line ends.
    assert service.blobs.get(result.message) == INVITE.rstrip(b"\r\n") + b"\r\n"


def test_bare_lf_lines_are_dot_unstuffed_and_mixed_line_ends_kept_whole(
    raw_client: list[RawClient],
) -> None:
    accept = Recorder()
    with DropBox(accept, domain=DOMAIN, mailboxes=Mailboxes()) as box:
        client = connect(box, raw_client)
        client.start_data("ann@example.org", f"create@{DOMAIN}")
        sent = b"Subject: dots\n\n..one dot\r\nCRLF line\nLF line\n\nlast"
        assert client.say(sent + END) == "250 OK"
    [(raw, _, _)] = accept.calls
    assert raw == b"Subject: dots\r\n\r\n.one dot\r\nCRLF line\r\nLF line\r\n\r\nlast\r\n"


@pytest.mark.parametrize("fake_end", [b"\n.\n", b"\n.\r\n", b"\r\n.\n"])
def test_a_dot_line_next_to_a_bare_lf_does_not_end_the_message(
    raw_client: list[RawClient], fake_end: bytes
) -> None:
    # Another server may relay these as content: ending the message here would let a sender
    # behind it start a second transaction in its name (SMTP smuggling).
    accept = Recorder()
    smuggled = (
        b"MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<create@"
        + DOMAIN.encode()
        + b">\r\nDATA\r\nFrom: ceo@bank.example\r\n\r\nforged"
    )
    with DropBox(accept, domain=DOMAIN, mailboxes=Mailboxes()) as box:
        client = connect(box, raw_client)
        client.start_data("ann@example.org", f"create@{DOMAIN}")
        # One reply for one message: a smuggled MAIL would have had its own 250s first.
        assert client.say(b"Subject: one\r\n\r\nbody" + fake_end + smuggled + END) == "250 OK"
        assert client.say(b"NOOP\r\n") == "250 OK"
    [(raw, _, sender)] = accept.calls
    assert sender == "ann@example.org"
    assert b"\r\n.\r\nMAIL FROM:<ceo@bank.example>\r\n" in raw


def test_a_line_past_the_limit_is_still_refused_and_the_session_goes_on(
    raw_client: list[RawClient],
) -> None:
    accept = Recorder()
    with DropBox(accept, domain=DOMAIN, mailboxes=Mailboxes()) as box:
        client = connect(box, raw_client)
        client.start_data("ann@example.org", f"create@{DOMAIN}")
        # The line's CRLF falls just past the limit: its CR is drained with the line, its LF
        # read next, and the "." after them still ends the message.
        long_line = b"Subject: long\n\n" + b"x" * 1001
        assert client.say(long_line + END).startswith("500 Line too long")
        assert client.say(b"NOOP\r\n") == "250 OK"
        client.start_data("ann@example.org", f"create@{DOMAIN}")
        assert client.say(b"Subject: ok\n\nfine" + END) == "250 OK"
    assert [raw for raw, _, _ in accept.calls] == [b"Subject: ok\r\n\r\nfine\r\n"]
