"""Feeding the projector from a change stream of the event store (DynamoDB Streams on AWS).

There is no notification log to follow here: each stream's projected version is the only
bookkeeping, so a record delivered again changes nothing and a record whose predecessor is
missing raises OutOfOrderError. Each event is committed on its own (a handful of writes, far
below DynamoDB's 100 per transaction), as the ProjectionRunner does on such a store.

A change stream orders records per item only, and one save writes several events of one
aggregate in one transaction: their records may come in any order within a batch. So an
event whose predecessors are later in the same batch pulls them forward.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from application.projections.keys import StreamPosition
from application.projections.projector import Projector, Route
from application.projections.session import Session, committed
from application.projections.store import ReadModel

Record = TypeVar("Record")


class EarlierRecordFailedError(Exception):
    """A record was not tried because one before it in the batch failed."""


class StreamFeed:
    """Projects stored events one at a time onto a read model."""

    def __init__(
        self, app: Application[Any], store: ReadModel, projector: Projector | None = None
    ) -> None:
        self.app = app
        self.store = store
        self.projector = projector or Projector()

    def tracks(self, stored: StoredEvent) -> bool:
        """Return whether the event's stream is projected (its position is kept)."""
        return self.projector.route(stored.topic) is not Route.NONE

    def apply(self, stored: StoredEvent) -> bool:
        """Project one event in a session of its own; return whether it was new.

        A commit that conflicts with another worker is projected again, a few times.
        """
        if not self.tracks(stored):
            return False
        stream, version = str(stored.originator_id), stored.originator_version

        def project(session: Session) -> bool:
            if self.projector.route(stored.topic) is Route.SKIP:
                return self.projector.skip(session, stream, version)
            event = self.app.mapper.to_domain_event(stored)
            return self.projector.project(session, event)  # type: ignore[arg-type]

        return committed(self.store, project)

    def batch(
        self,
        records: Sequence[Record],
        decode: Callable[[Record], StoredEvent | None],
        key: Callable[[Record], str],
    ) -> StreamBatch[Record]:
        """Return one delivered batch, to be projected record by record in its order."""
        return StreamBatch(self, records, decode, key)


class StreamBatch(Generic[Record]):
    """One batch of change-stream records, projected in order.

    After a record fails, every later one fails too without being tried: the stream is
    delivered again from the lowest failed record, and anything after it that was applied
    already is then a harmless repeat.
    """

    def __init__(
        self,
        feed: StreamFeed,
        records: Sequence[Record],
        decode: Callable[[Record], StoredEvent | None],
        key: Callable[[Record], str],
    ) -> None:
        self.feed = feed
        self.records = list(records)
        self._decode = decode
        self._index = {key(record): number for number, record in enumerate(self.records)}
        self._decoded: dict[int, StoredEvent | Exception | None] = {}
        self._by_version: dict[tuple[str, int], int] | None = None
        self._done: set[int] = set()
        self.failure: tuple[int, Exception] | None = None

    def project(self, key: str) -> None:
        """Project the record named ``key``; raise if it, or an earlier record, failed."""
        number = self._index[key]
        if self.failure is not None and number > self.failure[0]:
            failed, error = self.failure
            msg = f"record {failed + 1} of this batch failed first ({type(error).__name__})"
            raise EarlierRecordFailedError(msg) from error
        if number in self._done:
            return
        try:
            self._bring_up(number)
        except Exception as error:
            self.failure = (number, error)
            raise
        self._done.add(number)

    def _event(self, number: int) -> StoredEvent | None:
        if number not in self._decoded:
            try:
                self._decoded[number] = self._decode(self.records[number])
            except Exception as error:  # reported when that record's turn comes
                self._decoded[number] = error
        found = self._decoded[number]
        if isinstance(found, Exception):
            raise found
        return found

    def _bring_up(self, number: int) -> None:
        """Apply the record's event after any of its stream's missing predecessors that
        this batch holds; with a predecessor missing altogether, the projector raises."""
        stored = self._event(number)
        if stored is None or not self.feed.tracks(stored):
            return
        stream = str(stored.originator_id)
        position = self.feed.store.position(StreamPosition(stream))
        for version in range(position + 1, stored.originator_version):
            earlier = self._versions().get((stream, version))
            if earlier is None:
                break
            predecessor = self._event(earlier)
            assert predecessor is not None
            self.feed.apply(predecessor)
            self._done.add(earlier)
        self.feed.apply(stored)

    def _versions(self) -> dict[tuple[str, int], int]:
        """Index every readable event of the batch by stream and version (on first need)."""
        if self._by_version is None:
            self._by_version = {}
            for number in range(len(self.records)):
                try:
                    stored = self._event(number)
                except Exception:  # noqa: S112 - that record fails on its own turn
                    continue
                if stored is not None:
                    key = (str(stored.originator_id), stored.originator_version)
                    self._by_version.setdefault(key, number)
        return self._by_version
