"""A work queue in memory, for tests and for running jobs in the same process."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence

from application.ports import Job, Received, WorkQueue


class MemoryWorkQueue(WorkQueue):
    """Keeps jobs in order; a received job is hidden until done (no timeout: one process)."""

    def __init__(self) -> None:
        self._waiting: dict[str, Job] = {}
        self._taken: dict[str, Job] = {}
        self._handles = itertools.count(1)
        self._lock = threading.Lock()

    def put(self, jobs: Sequence[Job]) -> None:
        """Append the jobs."""
        with self._lock:
            for job in jobs:
                self._waiting[str(next(self._handles))] = job

    def receive(self, limit: int = 10, wait: float = 0) -> list[Received]:
        """Take the oldest ``limit`` jobs; ``wait`` is ignored (nothing else can add any)."""
        with self._lock:
            handles = list(self._waiting)[:limit]
            taken = {handle: self._waiting.pop(handle) for handle in handles}
            self._taken |= taken
        return [Received(handle, job) for handle, job in taken.items()]

    def done(self, received: Received) -> None:
        """Forget the job."""
        with self._lock:
            self._taken.pop(received.handle, None)

    def give_back(self) -> None:
        """Return every taken, unfinished job to the queue, as a visibility timeout would."""
        with self._lock:
            self._waiting = self._taken | self._waiting
            self._taken = {}
