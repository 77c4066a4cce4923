"""Reading strangers' mail under a time budget, in worker processes that can be killed.

A message that no bound in the parser foresaw (a new kind of bomb) must not hold a drop-box
worker, the CPU and the memory for minutes, nor stop the server from shutting down: the
parse runs in a long-lived child process (:mod:`adapters.inbound.budget_worker`, a fresh
interpreter: never a fork of this process and its threads), and one that overruns its budget
is killed and replaced, never waited for. The message is then rejected with a reason; its raw
bytes are kept before parsing, so nothing is lost. Results come back pickled.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import select
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import cast

from adapters.inbound.budget_worker import frame
from application.ports import MessageParser
from domain.messages import ListRequest, ParsedMessage, Unusable

log = logging.getLogger(__name__)

_LATE = object()  # what a read past the deadline returns


class ParserStopped(RuntimeError):
    """The parser was closed (the server is stopping) while a message was being read."""


def over_budget(budget: float) -> Unusable:
    """The reason a message is rejected when reading it took longer than its budget."""
    return Unusable(
        "over-budget",
        f"reading the message took longer than {budget:g} s, the limit for one message, so "
        "it was not read (no mail client writes such a message); export the invitation again "
        "from your calendar app and send it as an .ics attachment",
    )


def _crashed() -> Unusable:
    return Unusable(
        "malformed",
        "the message could not be read (its reader stopped while reading it); export the "
        "invitation again from your calendar app and send it as an .ics attachment",
    )


class _Worker:
    """One child process and the parent's ends of its pipes."""

    def __init__(self, make: object) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "adapters.inbound.budget_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.requests, self.answers = self.process.stdin, self.process.stdout
        self.requests.write(frame((list(sys.path), make)))
        self.requests.flush()

    def ask(self, kind: str, raw: bytes, sender: str | None) -> None:
        """Send one request (OSError if the worker is gone)."""
        self.requests.write(frame((kind, sender, len(raw))))
        self.requests.write(raw)
        self.requests.flush()

    def answer(self, deadline: float) -> object:
        """Return the worker's answer, or _LATE past ``deadline`` (EOFError if it died)."""
        fd, received, needed = self.answers.fileno(), bytearray(), 8
        while len(received) < needed:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return _LATE
            chunk = os.read(fd, needed - len(received))
            if not chunk:
                raise EOFError
            received += chunk
            if needed == 8 and len(received) == 8:
                needed += int.from_bytes(received, "big")
        return pickle.loads(received[8:])  # noqa: S301 - our worker's own frames

    def kill(self) -> None:
        """Kill the child at once (SIGKILL); it is reaped later, never waited for."""
        with contextlib.suppress(OSError):
            self.process.kill()
        for stream in (self.requests, self.answers):
            with contextlib.suppress(OSError):
                stream.close()


def _kill_all(stopping: threading.Event, *groups: Iterable[_Worker]) -> None:
    stopping.set()  # a message being read then raises ParserStopped, never a rejection
    for worker in [w for group in groups for w in list(group)]:
        worker.kill()


class BudgetedParser(MessageParser):
    """A MessageParser that runs ``make()``'s parser in worker processes, ``budget`` seconds
    at most per message (wall-clock time in the worker, which is at least its CPU time)."""

    def __init__(
        self, make: Callable[[], MessageParser], *, budget: float, workers: int = 2
    ) -> None:
        self._make, self.budget, self._most = make, budget, max(1, workers)
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._killed: list[subprocess.Popen[bytes]] = []
        self._started = 0  # workers alive or starting: at most ``workers``
        # At exit (or when this parser is dropped) its workers go too, busy or not.
        self._stopping = threading.Event()
        weakref.finalize(self, _kill_all, self._stopping, self._idle, self._busy)
        self._changed = threading.Condition()

    def parse(self, raw: bytes, *, sender: str | None = None) -> ParsedMessage:
        """Parse ``raw`` in a worker; past the budget, reject it (see :func:`over_budget`)."""
        return cast(ParsedMessage, self._call("message", bytes(raw), sender))

    def parse_list(self, raw: bytes) -> ListRequest | Unusable:
        """Read a bulk-mailbox email in a worker, under the same budget."""
        return cast(ListRequest | Unusable, self._call("list", bytes(raw), None))

    def warm(self) -> None:
        """Start one worker now, so the first message does not wait for it."""
        self._give_back(self._take())

    def close(self) -> None:
        """Kill every worker; a message being read then raises :class:`ParserStopped`."""
        with self._changed:
            self._stopping.set()
            workers = [*self._idle, *self._busy]
            self._started -= len(self._idle)
            self._idle.clear()
            self._changed.notify_all()
        for worker in workers:
            worker.kill()

    def _call(self, kind: str, raw: bytes, sender: str | None) -> object:
        for _ in range(2):  # a worker found dead before it read the message is replaced once
            worker = self._take()
            try:
                worker.ask(kind, raw, sender)
            except OSError:
                self._retire(worker)
                continue
            return self._answer(worker, len(raw))
        return _crashed()

    def _answer(self, worker: _Worker, size: int) -> object:
        try:
            answer = worker.answer(time.monotonic() + self.budget)
        except (EOFError, OSError, pickle.UnpicklingError):
            self._retire(worker)
            if self._stopping.is_set():
                raise ParserStopped("the parser was closed while reading a message") from None
            log.warning("a parse worker died reading a message of %d bytes", size)
            return _crashed()
        if answer is _LATE:
            log.warning("a message of %d bytes overran its %g s parse budget", size, self.budget)
            self._retire(worker)
            return over_budget(self.budget)
        result, retire = cast(tuple[object, bool], answer)
        if retire:
            self._retire(worker)
        else:
            self._give_back(worker)
        return result

    def _take(self) -> _Worker:
        with self._changed:
            while True:
                if self._stopping.is_set():
                    raise ParserStopped("the parser is closed")
                self._killed = [p for p in self._killed if p.poll() is None]  # reaps the dead
                if self._idle:
                    worker = self._idle.pop()
                    self._busy.add(worker)
                    return worker
                if self._started < self._most:
                    self._started += 1
                    break
                self._changed.wait()
        try:  # started outside the lock: the first start also starts the fork server
            worker = _Worker(self._make)
        except BaseException:
            with self._changed:
                self._started -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._busy.add(worker)
        return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._changed:
            self._busy.discard(worker)
            if self._stopping.is_set():
                worker.kill()
                self._started -= 1
            else:
                self._idle.append(worker)
            self._changed.notify()

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._changed:
            if worker in self._busy:
                self._busy.discard(worker)
                self._started -= 1
            self._killed.append(worker.process)
            self._changed.notify()
