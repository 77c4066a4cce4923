"""The SMTP drop box: accepts mail for the server's own mailboxes and hands each copy to ingest."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.mail.workers import WorkerPool
from application.inbound.routing import Mailboxes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpClient:
    """Who delivered the message: the connecting address and its HELO/EHLO name (for SPF)."""

    address: str | None = None
    helo: str | None = None


Accept = Callable[[bytes, str, str | None, SmtpClient], object]

# A token is what the server puts after "+" (lower-case base32); a little more is allowed so a
# person's own tag (create+team-a@) still arrives. Quotes, spaces and a second "+" never match.
_RECIPIENT = re.compile(r"(?P<mailbox>[A-Za-z0-9._-]+)(?:\+[A-Za-z0-9._=-]+)?@(?P<domain>[^@\s]+)")
NULL_SENDER = "<>"
# How long stop() waits for messages still being processed before abandoning them: their
# senders had no answer yet and send again; a stuck one must not keep the process alive.
STOP_GRACE = 10.0


@dataclass(frozen=True)
class Limits:
    """What one client, and all of them together, may make the drop box hold."""

    max_size: int = 25 * 1024 * 1024
    max_recipients: int = 100
    max_connections: int = 200
    max_connections_per_client: int = 20
    idle_timeout: float = 300.0
    workers: int = 4
    ingest_timeout: float = 300.0


class DropBox:
    """An aiosmtpd server, on 127.0.0.1 by default, that takes mail only for its own mailboxes."""

    def __init__(
        self,
        accept: Accept,
        *,
        domain: str,
        mailboxes: Mailboxes,
        bounce_mailbox: str = "bounces",
        host: str = "127.0.0.1",
        port: int = 0,
        max_size: int | None = None,
        limits: Limits = Limits(),
    ) -> None:
        self.host, self.port = host, port
        self.domain = domain.lower()
        self.limits = limits if max_size is None else replace(limits, max_size=max_size)
        self.local_parts = frozenset(
            part.lower()
            for part in (
                mailboxes.create,
                mailboxes.rsvp,
                mailboxes.bulk,
                mailboxes.unsubscribe,
                bounce_mailbox,
            )
        )
        self._handler = _Handler(accept, self.accepts, self._run, self.limits)
        self._controller: _Controller | None = None
        self._workers: WorkerPool | None = None

    def accepts(self, address: str) -> bool:
        """Return whether ``address`` is one of this drop box's mailboxes (never a relay)."""
        match = _RECIPIENT.fullmatch(address)
        return (
            match is not None
            and match["domain"].lower() == self.domain
            and match["mailbox"].lower() in self.local_parts
        )

    def start(self) -> None:
        """Bind and start serving in a background thread; ``host`` and ``port`` become real."""
        if self._controller is not None:
            return
        limits = self.limits
        controller = _Controller(
            self._handler,
            _Gate(limits.max_connections, limits.max_connections_per_client),
            hostname=self.host,
            port=self.port,
            # The greeting names the mail domain: no reverse DNS lookup at start-up.
            server_hostname=self.domain,
            # Announced as SIZE (RFC 1870); DATA past it is read, dropped and answered 552.
            data_size_limit=limits.max_size,
            # aiosmtpd's timer restarts with every command, not during DATA: it bounds both
            # the silence between commands and the time one message's data may take.
            timeout=limits.idle_timeout,
            decode_data=False,
        )
        self._workers = WorkerPool(limits.workers, "dropbox-accept")
        controller.start()
        self._controller = controller
        self.host, self.port = controller.bound

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop serving, wait up to ``grace`` seconds for the ``accept`` calls still running,
        and abandon the rest; safe to repeat."""
        controller, self._controller = self._controller, None
        workers, self._workers = self._workers, None
        if controller is not None:
            controller.stop()
        if workers is not None:
            workers.stop(grace)

    def __enter__(self) -> DropBox:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    async def _run(self, call: Callable[[], object], timeout: float) -> object:
        """Run ``call`` on a worker, so a slow ingest never stalls other sessions."""
        workers = self._workers
        if workers is None:
            raise RuntimeError("the drop box is stopped")
        return await workers.run(call, timeout)


class _Handler:
    """The aiosmtpd hooks: refuse foreign recipients at RCPT, hand over the message at DATA."""

    def __init__(
        self,
        accept: Accept,
        accepts: Callable[[str], bool],
        run: Callable[[Callable[[], object], float], Awaitable[object]],
        limits: Limits,
    ) -> None:
        self.accept, self.accepts, self.run = accept, accepts, run
        self.max_recipients = limits.max_recipients
        self.ingest_timeout = limits.ingest_timeout

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= self.max_recipients:
            # RFC 5321 4.5.3.1.10: the client sends the rest in another transaction.
            return "452 4.5.3 too many recipients"
        if not self.accepts(address):
            return f"550 5.1.1 <{address}>: no such mailbox here"
        # A recipient named twice gets one copy (RFC 5321 3.3); case does not make it another,
        # as routing lower-cases addresses too.
        if address.lower() not in (seen.lower() for seen in envelope.rcpt_tos):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = cast(bytes, envelope.original_content)
        sender = envelope.mail_from
        envelope_from = None if not sender or sender == NULL_SENDER else sender
        peer = session.peer
        client = SmtpClient(
            str(peer[0]) if isinstance(peer, tuple) and peer else None,
            session.host_name or None,
        )
        deadline = asyncio.get_running_loop().time() + self.ingest_timeout
        for recipient in envelope.rcpt_tos:
            left = deadline - asyncio.get_running_loop().time()
            try:
                await self.run(_call(self.accept, raw, recipient, envelope_from, client), left)
            except TimeoutError:
                # The worker is abandoned, not interrupted: if it finishes, the sender's
                # next try is known by its content and answered without processing it again.
                log.warning(
                    "drop box: a message from %s to %s (%d bytes) took over %s s; answered 451",
                    envelope_from or NULL_SENDER,
                    recipient,
                    len(raw),
                    self.ingest_timeout,
                )
                return "451 4.3.2 busy; try again later"
            except Exception:
                # 4xx keeps the message with the sender, who tries again later: nothing is lost.
                # The recipients already done arrive again then; ingest knows them by content.
                log.exception(
                    "drop box: ingest failed for a message from %s to %s (%d bytes)",
                    envelope_from or NULL_SENDER,
                    recipient,
                    len(raw),
                )
                return "451 4.3.0 try again later"
        return "250 OK"


def _call(
    accept: Accept, raw: bytes, to: str, sender: str | None, client: SmtpClient
) -> Callable[[], object]:
    return lambda: accept(raw, to, sender, client)


class _Gate:
    """Counts open sessions, per client address and in all; used on the event loop only."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total, self.per_client = total, per_client
        self.open: dict[str, int] = {}
        self.count = 0

    def enter(self, client: str) -> bool:
        """Count a new session from ``client`` in, or return False when it is one too many."""
        if self.count >= self.total or self.open.get(client, 0) >= self.per_client:
            return False
        self.count += 1
        self.open[client] = self.open.get(client, 0) + 1
        return True

    def leave(self, client: str) -> None:
        """Count a session of ``client`` out."""
        self.count -= 1
        left = self.open.pop(client) - 1
        if left:
            self.open[client] = left


CRLF = b"\r\n"


class _LineEnds:
    """A session's stream reader that takes a bare LF as the end of a line, as CRLF.

    Mail saved by Unix tools ends its lines in LF alone; aiosmtpd reads DATA up to CRLF, so such a
    message is one "line" past the 1,000-octet limit and was refused "500 Line too long". As
    Postfix's ``smtpd_forbid_bare_newline = normalize`` does, each line is taken as if it ended
    in CRLF (and dot-unstuffed as one), but the end of DATA stays exactly CRLF "." CRLF as sent:
    a "." line next to a bare LF is content. Another server may relay "LF . LF" as content, so
    ending the message there would let a sender behind it start a second, forged transaction
    here (SMTP smuggling).
    """

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        # The line read last ended in a bare LF; the bytes read last ended in a CR (a line cut
        # at the length limit, whose LF comes next).
        self._after_bare_lf = False
        self._after_cr = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        """Return the next line; asked for one ending in CRLF (DATA), one ending in either."""
        line = await self._reader.readuntil(b"\n" if separator == CRLF else separator)
        bare = not line.endswith(CRLF) and not (line == b"\n" and self._after_cr)
        if separator == CRLF:
            line = line[:-1] + CRLF if bare or line == b"\n" else line
            if line == b".\r\n" and (bare or self._after_bare_lf):
                line = b"..\r\n"  # dot-unstuffed to a "." line of the message, not its end
        self._after_bare_lf, self._after_cr = bare, False
        return line

    async def read(self, n: int = -1) -> bytes:
        """Return up to ``n`` bytes (what aiosmtpd drains of a line past the length limit)."""
        data = await self._reader.read(n)
        self._after_cr = data.endswith(b"\r")
        return data


class _Session(SMTP):
    """aiosmtpd's protocol, refusing a connection past the caps with 421 before its greeting,
    and reading lines that end in a bare LF too (``_LineEnds``)."""

    def __init__(self, handler: Any, gate: _Gate, **options: Any) -> None:
        super().__init__(handler, **options)
        self._gate = gate
        self._client: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if not self._gate.enter(client):
            # No session is made: the refusal costs one write and a close.
            cast(asyncio.WriteTransport, transport).write(
                b"421 4.7.0 too many connections; try again later\r\n"
            )
            transport.close()
            return
        self._client = client
        super().connection_made(transport)

    def _cb_client_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        super()._cb_client_connected(reader, writer)
        self._reader = cast(asyncio.StreamReader, _LineEnds(reader))

    def connection_lost(self, error: Exception | None) -> None:
        client, self._client = self._client, None
        if client is None:
            return  # refused at connection_made: nothing was set up
        self._gate.leave(client)
        super().connection_lost(error)


class _Controller(Controller):
    """aiosmtpd's threaded controller, able to bind port 0 and report the address it got,
    whose sessions are counted against the connection caps."""

    bound: tuple[str, int] = ("", 0)

    def __init__(self, handler: Any, gate: _Gate, **options: Any) -> None:
        super().__init__(handler, **options)
        self.gate = gate

    def factory(self) -> SMTP:
        return _Session(self.handler, self.gate, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # aiosmtpd's hook between binding and its first probe connection: its probe must use
        # the real port, not 0.
        server = cast(asyncio.Server, self.server)
        address: tuple[Any, ...] = server.sockets[0].getsockname()
        self.bound = (str(address[0]), int(address[1]))
        self.port = self.bound[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]
