"""A bounded pool of worker threads for blocking calls made from an event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any


class WorkerPool:
    """Runs at most ``size`` blocking calls at once, each in its own daemon thread.

    A caller stops waiting after its timeout and the call is abandoned, never interrupted: it
    keeps its place until it returns, so a stuck call costs a slot, never more threads than
    ``size``. Daemon threads, unlike an executor's, never hold up the interpreter's exit.
    """

    def __init__(self, size: int, name: str) -> None:
        self.size = max(1, size)
        self.name = name
        self._running: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._free: asyncio.Semaphore | None = None

    async def run(self, call: Callable[[], object], timeout: float) -> object:
        """Return ``call()`` run off the loop; ``TimeoutError`` when ``timeout`` passes first
        (waiting for a free worker included)."""
        loop = asyncio.get_running_loop()
        if self._free is None:
            self._free = asyncio.Semaphore(self.size)
        free = self._free
        async with asyncio.timeout(timeout):
            await free.acquire()
            done: asyncio.Future[object] = loop.create_future()
            worker = threading.Thread(
                target=self._work, args=(call, done, loop, free), name=self.name, daemon=True
            )
            with self._lock:
                self._running.add(worker)
            worker.start()
            # Shielded: a timeout cancels the wait, not the future the worker settles.
            return await asyncio.shield(done)

    def _work(
        self,
        call: Callable[[], object],
        done: asyncio.Future[object],
        loop: asyncio.AbstractEventLoop,
        free: asyncio.Semaphore,
    ) -> None:
        try:
            value: Any = call()
            failure: BaseException | None = None
        except BaseException as error:  # handed to the waiting session, which answers 451
            value, failure = None, error
        finally:
            with self._lock:
                self._running.discard(threading.current_thread())

        def settle() -> None:
            free.release()
            if done.done():
                return
            if failure is None:
                done.set_result(value)
            else:
                done.set_exception(failure)

        # A closed loop means the drop box stopped: nobody waits for this call any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle)

    def stop(self, grace: float) -> None:
        """Wait up to ``grace`` seconds in all for the running calls, then abandon the rest."""
        deadline = time.monotonic() + grace
        with self._lock:
            running = list(self._running)
        for worker in running:
            worker.join(max(0.0, deadline - time.monotonic()))
