"""Who is sending: a name for each sending run, and whether a claim's holder still runs.

A send is claimed before the mailer is called (``Delivery.claim``). A claim whose worker
died must not block the send forever: it lapses after ``CLAIM_TIMEOUT``, and at once when
the worker is known to have stopped (a run of this process that has ended, or a process
of this host that no longer exists). A worker on another host is believed to run until its
claim lapses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from uuid import uuid4

from application.ports import Processes

# Longer than a chunk of sends can take when every send waits out an SMTP timeout
# (30 recipients x 30 s), so a slow but living worker never loses its claim.
CLAIM_TIMEOUT = timedelta(minutes=20)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Workers:
    """Names sending runs ``host:pid:run`` and tells which of them may still be sending."""

    _running: ClassVar[set[str]] = set()
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        processes: Processes,
        timeout: timedelta = CLAIM_TIMEOUT,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.processes = processes
        self.timeout = timeout
        # Claims are timed by the clock, not by a command's ``now``: a bulk send started an
        # hour ago still claims each chunk for the next twenty minutes.
        self.clock = clock
        self.host = processes.host

    @contextmanager
    def run(self) -> Iterator[str]:
        """Name one sending run; while it lasts, its claims count as held by a living worker."""
        name = f"{self.host}:{self.processes.current()}:{uuid4().hex[:12]}"
        with self._lock:
            self._running.add(name)
        try:
            yield name
        finally:
            with self._lock:
                self._running.discard(name)

    def alive(self, holder: str) -> bool:
        """Return whether the worker ``holder`` may still be sending (True when unknown)."""
        host, _, rest = holder.partition(":")
        pid_text = rest.partition(":")[0]
        if host != self.host or not pid_text.isdigit():
            return True
        pid = int(pid_text)
        if pid == self.processes.current():
            with self._lock:
                return holder in self._running
        return self.processes.running(pid)

    def now(self) -> datetime:
        """Return the time claims are made and checked at."""
        return self.clock()

    def until(self) -> datetime:
        """Return when a claim made now lapses."""
        return self.clock() + self.timeout
