"""Each raw message is parsed once, however many of the server's mailboxes it was sent to.

The drop box hands one copy per recipient to ingest (create+a@, create+b@, ...), and each
copy used to be parsed again: one costly message to ten recipients cost ten times. What the
parser returns depends only on the bytes and the envelope sender (its fallback for a message
without From), so the result is remembered by both, in a small cache bounded in bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import cast

from application.ports import MessageParser
from domain.messages import ListRequest, ParsedMessage, Unusable

_Key = tuple[str, str, str | None]


class ParsedOnce(MessageParser):
    """Remembers ``parser``'s recent results by the SHA-256 of the raw bytes (and the
    envelope sender); a copy arriving while the first is being read waits for its result."""

    def __init__(
        self, parser: MessageParser, *, most_bytes: int = 2 * 1024 * 1024, most: int = 64
    ) -> None:
        self.parser = parser
        self._most_bytes, self._most = most_bytes, most
        self._results: OrderedDict[_Key, bytes] = OrderedDict()
        self._held = 0
        self._reading: dict[_Key, Future[bytes]] = {}
        self._lock = threading.Lock()
        self._ahead: ThreadPoolExecutor | None = None

    def parse(self, raw: bytes, *, sender: str | None = None) -> ParsedMessage:
        """Return what ``parser.parse`` returns for these bytes and this envelope sender."""
        key = ("message", hashlib.sha256(raw).hexdigest(), sender)
        found = self._once(key, lambda: self.parser.parse(raw, sender=sender))
        return cast(ParsedMessage, found)

    def parse_list(self, raw: bytes) -> ListRequest | Unusable:
        """Return what ``parser.parse_list`` returns for these bytes."""
        key = ("list", hashlib.sha256(raw).hexdigest(), None)
        return cast(ListRequest | Unusable, self._once(key, lambda: self.parser.parse_list(raw)))

    def read_ahead(self, raw: bytes, *, sender: str | None = None) -> None:
        """Start parsing ``raw`` on a thread of its own: a ``parse`` of the same bytes and
        sender then waits for that result (or finds it kept) instead of reading again.

        With the parser in a worker process, the next message is read there while this
        process records the one before (pipelining: the two run on two cores). The read is
        claimed here, before this returns, so that ``parse`` always waits for it rather than
        reading the same bytes at the same time in another worker (which would start one)."""
        key = ("message", hashlib.sha256(raw).hexdigest(), sender)
        _, mine, claimed = self._claim(key)
        if mine is None or not claimed:
            return  # kept, or being read already
        with self._lock:
            if self._ahead is None:
                self._ahead = ThreadPoolExecutor(1, thread_name_prefix="cis-read-ahead")
            ahead = self._ahead
        ahead.submit(self._read_quietly, key, mine, lambda: self.parser.parse(raw, sender=sender))

    def _read_quietly(self, key: _Key, mine: Future[bytes], read: Callable[[], object]) -> None:
        # Whoever waits for this read sees its error, raised where it belongs.
        with contextlib.suppress(Exception):
            self._read(key, mine, read)

    def close(self) -> None:
        """Close the parser underneath, if it holds anything (worker processes). Reads ahead
        still queued then end with the parser's error, so nobody waits for them for ever."""
        with self._lock:
            ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.shutdown(wait=False)
        close = getattr(self.parser, "close", None)
        if callable(close):
            close()

    def _once(self, key: _Key, read: Callable[[], object]) -> object:
        kept, reading, claimed = self._claim(key)
        if kept is not None:
            # A fresh copy, so nobody shares a result; the bytes are our own pickles.
            return pickle.loads(kept)  # noqa: S301
        assert reading is not None
        if not claimed:  # another thread's read (or a read ahead): wait for it
            return pickle.loads(reading.result())  # noqa: S301
        return self._read(key, reading, read)

    def _claim(self, key: _Key) -> tuple[bytes | None, Future[bytes] | None, bool]:
        """Return the result kept for ``key``; else the read of it under way, or a new one
        claimed for the caller to do (True), which others wait for."""
        with self._lock:
            kept = self._results.get(key)
            if kept is not None:
                self._results.move_to_end(key)
                return kept, None, False
            pending = self._reading.get(key)
            if pending is not None:
                return None, pending, False
            mine: Future[bytes] = Future()
            self._reading[key] = mine
            return None, mine, True

    def _read(self, key: _Key, mine: Future[bytes], read: Callable[[], object]) -> object:
        try:
            result = read()
            data = pickle.dumps(result)
        except BaseException as error:
            mine.set_exception(error)
            raise
        finally:
            with self._lock:
                del self._reading[key]
        mine.set_result(data)
        self._keep(key, data)
        return result

    def _keep(self, key: _Key, data: bytes) -> None:
        if len(data) > self._most_bytes // 8:
            return  # one huge result would push out every other
        with self._lock:
            self._results[key] = data
            self._held += len(data)
            while self._held > self._most_bytes or len(self._results) > self._most:
                _, dropped = self._results.popitem(last=False)
                self._held -= len(dropped)
