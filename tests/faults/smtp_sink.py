"""A relay for fault tests: a real aiosmtpd server on 127.0.0.1 that counts the copies it
accepted per recipient, and can hold mail to some recipients until told to let it pass."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class FreePortController(Controller):
    """An aiosmtpd server on 127.0.0.1, on whichever free port the OS gives it."""

    def _trigger_server(self) -> None:
        # aiosmtpd's hook between binding and its first probe connection: learn the real port.
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class CountingSink:
    """Accepts every message and counts a copy per recipient once it has the whole message
    (a real relay has it queued by then, whether or not the client reads the 250)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.copies: Counter[str] = Counter()
        # When each copy was counted (time.perf_counter), for timing the window after it.
        self.counted_at: list[float] = []
        self.delay = delay
        # Mail to recipients ``held`` matches waits until ``gate`` is set.
        self.held: Callable[[str], bool] = lambda _: False
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if any(self.held(r) for r in envelope.rcpt_tos):
            self.waiting.set()
            while not self.gate.is_set():
                await asyncio.sleep(0.01)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.copies.update(envelope.rcpt_tos)
            self.counted_at.append(time.perf_counter())
        return "250 2.0.0 Ok: queued"

    def count(self) -> Counter[str]:
        """Return a copy of the counts so far."""
        with self._lock:
            return Counter(self.copies)


@contextmanager
def running_sink(delay: float = 0.0) -> Iterator[tuple[CountingSink, int]]:
    """Run a counting sink on a free port of 127.0.0.1; yield it and its port; stop it after."""
    sink = CountingSink(delay)
    controller = FreePortController(sink, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield sink, controller.port
    finally:
        sink.gate.set()
        controller.stop()
