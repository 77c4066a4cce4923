"""Organizer notices that follow ingest, sent by the background work instead of on its path.

A notice is no part of what ingest promises (the message is kept and its outcome committed
before anyone is told), yet rendering it and writing it durably cost about what the ingest
itself costs. Where a process runs background work (``cis serve``), the notice waits here, in
memory, for that work's thread; elsewhere (one-shot commands, Lambda functions, tests that
drive the application directly) nothing is started and each notice is sent at once, as before.

The thread lets a burst of mail finish first: it sends once no notice arrived for ``settle``
seconds, or once the oldest has waited ``longest``, so a flood's ingests do not share the
processor with its notices and the notices of one burst go out together. Closing sends what
waits, in the closing thread. A notice the mailer cannot take follows the Notifier's usual
path (kept as a ``DeferredNotice`` for the retry rounds); one still waiting here when the
process dies is lost, which the README states.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from application.ports import Notice

log = logging.getLogger(__name__)

# How a notice is finally told: the Notifier's own send-or-keep.
Tell = Callable[[Notice, datetime], None]


class NoticeQueue:
    """Notices waiting for the background work; sent at once while none is started."""

    def __init__(self, *, settle: float = 0.2, longest: float = 2.0) -> None:
        self.settle = settle
        self.longest = longest
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._waiting: list[tuple[Notice, datetime]] = []
        self._oldest = 0.0  # monotonic time the first waiting notice arrived
        self._latest = 0.0  # and the last one
        self._tell: Tell | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    def put(self, notice: Notice, now: datetime) -> bool:
        """Queue ``notice`` for the background work; False when none takes notices now (not
        started, or closed), and the caller sends it itself."""
        with self._changed:
            if self._thread is None or self._closing:
                return False
            arrived = time.monotonic()
            self._latest = arrived
            self._waiting.append((notice, now))
            if len(self._waiting) == 1:
                # Only the first of a batch wakes the thread: it then waits for the quiet by
                # itself, and waking it for each later one would only take turns with ingest.
                self._oldest = arrived
                self._changed.notify()
            return True

    def start(self, tell: Tell) -> None:
        """Start the thread that sends queued notices through ``tell``."""
        with self._changed:
            if self._thread is not None:
                return
            self._tell, self._closing = tell, False
            self._thread = threading.Thread(target=self._run, name="cis-notices", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 30.0) -> int:
        """Stop the thread and send what still waits, here; return how many that was.

        Notices put afterwards are sent at once by their callers."""
        with self._changed:
            thread, self._closing = self._thread, True
            self._changed.notify_all()
        if thread is not None:
            # The thread finishes the batch it is sending (each notice bounded by the mailer's
            # own timeouts) and leaves the rest to this one.
            thread.join(timeout)
        with self._changed:
            rest, self._waiting = self._waiting, []
            self._thread = None
        self._send(rest)
        return len(rest)

    def waiting(self) -> int:
        """Return how many notices wait to be sent."""
        with self._changed:
            return len(self._waiting)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closing:
                    self._changed.wait()
                while not self._closing and not self._due(time.monotonic()):
                    self._changed.wait(self._pause(time.monotonic()))
                if self._closing:
                    return  # close() sends what waits
                batch, self._waiting = self._waiting, []
            self._send(batch)

    def _due(self, now: float) -> bool:
        return now - self._latest >= self.settle or now - self._oldest >= self.longest

    def _pause(self, now: float) -> float:
        return max(0.001, min(self._latest + self.settle, self._oldest + self.longest) - now)

    def _send(self, batch: list[tuple[Notice, datetime]]) -> None:
        tell = self._tell
        if tell is None:
            return
        # One organizer's notices of a burst go out one after another.
        for notice, now in sorted(batch, key=lambda queued: queued[0].to):
            try:
                tell(notice, now)
            except Exception:
                # ``tell`` keeps what it cannot send; anything escaping it is a bug, and must
                # not end the thread that sends everyone else's notices.
                log.exception("notice %s to %s not sent", notice.kind, notice.to)
