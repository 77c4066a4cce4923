"""A unit of work over the read model: reads once, remembers what it read, writes once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from application.projections.keys import Key, Partition, Position
from application.projections.store import Batch, Data, ReadModel, ViewConflictError

T = TypeVar("T")
# A commit that conflicts with another worker's is done again, at most this many times.
ATTEMPTS = 5


class Views(Protocol):
    """What the projector reads and writes: a Session, or a rebuild's Staging."""

    events: int

    def get(self, pk: Partition, sk: str) -> Data | None:
        """Return an item's data, or None."""

    def put(self, pk: Partition, sk: str, data: Data) -> None:
        """Write an item."""

    def delete(self, pk: Partition, sk: str) -> None:
        """Delete an item."""

    def add(self, pk: Partition, sk: str, amount: int) -> None:
        """Add ``amount`` to a counter."""

    def position(self, key: Position) -> int:
        """Return the version a stream or a log is projected up to."""

    def track(self, key: Position, version: int) -> None:
        """Record that a stream or a log is projected up to ``version``."""


class Session:
    """Collects the changes of one or many projected events into one atomic batch.

    Every write names the revision its item had when first read, so the commit fails (and
    the events are projected again) if another worker changed the item meanwhile.
    """

    def __init__(self, store: ReadModel) -> None:
        self.store = store
        self._revs: dict[Key, int] = {}
        self._read: dict[Key, Data | None] = {}
        self._values: dict[Key, Data | None] = {}
        self._adds: dict[Key, int] = {}
        self._positions: dict[Position, tuple[int, int]] = {}
        self.events = 0

    def get(self, pk: Partition, sk: str) -> Data | None:
        """Return an item's data as this session sees it."""
        key = (pk, sk)
        if key not in self._values:
            item = self.store.get(pk, sk)
            self._revs[key] = item.rev if item else 0
            self._read[key] = self._values[key] = item.data if item else None
        return self._values[key]

    def put(self, pk: Partition, sk: str, data: Data) -> None:
        """Write an item (its revision is read first if it was not)."""
        self.get(pk, sk)
        self._values[(pk, sk)] = data

    def delete(self, pk: Partition, sk: str) -> None:
        """Delete an item."""
        self.get(pk, sk)
        self._values[(pk, sk)] = None

    def add(self, pk: Partition, sk: str, amount: int) -> None:
        """Add ``amount`` to a counter."""
        if amount:
            self._adds[(pk, sk)] = self._adds.get((pk, sk), 0) + amount

    def position(self, key: Position) -> int:
        """Return the stream's (or log's) projected version as this session sees it."""
        if key in self._positions:
            return self._positions[key][1]
        return self.store.position(key)

    def track(self, key: Position, version: int) -> None:
        """Record that the stream (or log) is projected up to ``version``."""
        first = self._positions[key][0] if key in self._positions else self.position(key)
        self._positions[key] = (first, version)

    def batch(self) -> Batch:
        """Return the changes, each write conditional on the revision read.

        An item put back unchanged (the very object read) is not written.
        """
        batch = Batch(tracking=dict(self._positions))
        for key, value in self._values.items():
            rev = self._revs[key]
            if value is None:
                if rev:
                    batch.deletes[key] = rev
            elif value is not self._read[key]:
                batch.puts[key] = (value, rev)
        batch.adds = {k: v for k, v in self._adds.items() if v}
        return batch

    def commit(self) -> None:
        """Write everything at once and start afresh."""
        batch = self.batch()
        if len(batch):
            self.store.commit(batch)
        self.reset()

    def reset(self) -> None:
        """Forget every read and change (after a commit, or a conflict)."""
        self._revs.clear()
        self._read.clear()
        self._values.clear()
        self._adds.clear()
        self._positions.clear()
        self.events = 0


def committed(store: ReadModel, work: Callable[[Session], T], attempts: int = ATTEMPTS) -> T:
    """Do ``work`` in a new session and commit it; what conflicts with another worker's
    commit is read and done again, a few times. Return what ``work`` returned."""
    for attempt in range(attempts):
        session = Session(store)
        done = work(session)
        try:
            session.commit()
        except ViewConflictError:
            if attempt == attempts - 1:
                raise
            continue
        return done
    raise AssertionError("unreachable")  # pragma: no cover
