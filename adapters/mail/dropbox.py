"""The SMTP drop box: accepts mail for the server's own mailboxes and hands each copy to ingest."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from application.routing import Mailboxes

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
        max_size: int = 25 * 1024 * 1024,
    ) -> None:
        self.host, self.port = host, port
        self.domain = domain.lower()
        self.max_size = max_size
        self.local_parts = frozenset(
            part.lower()
            for part in (mailboxes.create, mailboxes.rsvp, mailboxes.bulk, bounce_mailbox)
        )
        self._handler = _Handler(accept, self.accepts, self._run)
        self._controller: _Controller | None = None
        self._executor: ThreadPoolExecutor | None = None

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
        self._executor = ThreadPoolExecutor(thread_name_prefix="dropbox-accept")
        controller = _Controller(
            self._handler,
            hostname=self.host,
            port=self.port,
            # The greeting names the mail domain: no reverse DNS lookup at start-up.
            server_hostname=self.domain,
            data_size_limit=self.max_size,
            decode_data=False,
        )
        try:
            controller.start()
        except BaseException:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise
        self._controller = controller
        self.host, self.port = controller.bound

    def stop(self) -> None:
        """Stop serving, then wait for the ``accept`` calls still running; safe to repeat."""
        controller, self._controller = self._controller, None
        executor, self._executor = self._executor, None
        if controller is not None:
            controller.stop()
        if executor is not None:
            executor.shutdown(wait=True)

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

    def _run(self, call: Callable[[], object]) -> asyncio.Future[object]:
        """Run ``call`` off the event loop, so a slow ingest never stalls other sessions."""
        executor = self._executor
        if executor is None:
            raise RuntimeError("the drop box is stopped")
        return asyncio.get_running_loop().run_in_executor(executor, call)


class _Handler:
    """The aiosmtpd hooks: refuse foreign recipients at RCPT, hand over the message at DATA."""

    def __init__(
        self,
        accept: Accept,
        accepts: Callable[[str], bool],
        run: Callable[[Callable[[], object]], Awaitable[object]],
    ) -> None:
        self.accept, self.accepts, self.run = accept, accepts, run

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
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
        for recipient in envelope.rcpt_tos:
            try:
                await self.run(_call(self.accept, raw, recipient, envelope_from, client))
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


class _Controller(Controller):
    """aiosmtpd's threaded controller, able to bind port 0 and report the address it got."""

    bound: tuple[str, int] = ("", 0)

    def _trigger_server(self) -> None:
        # aiosmtpd's hook between binding and its first probe connection: its probe must use
        # the real port, not 0.
        server = cast(asyncio.Server, self.server)
        address: tuple[Any, ...] = server.sockets[0].getsockname()
        self.bound = (str(address[0]), int(address[1]))
        self.port = self.bound[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]
