"""The read-model port: items in sorted partitions, counters, and tracking per stream.

Items live under a partition key ``pk`` and sort key ``sk`` (as in DynamoDB, and as cheap in
SQLite), so every read is one key lookup or one ordered range of one partition: no scans.
Every item carries a revision; a write names the revision it read, so two workers projecting
different streams onto the same item never lose each other's update.

Partitions and positions are typed keys (``keys.py``); each store spells them its own way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from application.projections.keys import Key, Partition, Position

Data = Mapping[str, Any]
Row = TypeVar("Row")


@dataclass(frozen=True)
class Item:
    """One stored view row: its keys, its JSON data and its revision (1 on first write)."""

    pk: Partition
    sk: str
    data: Data
    rev: int


@dataclass
class Batch:
    """What one commit writes, all or nothing.

    ``puts`` and ``deletes`` name the revision they expect (0: the item must not exist);
    ``adds`` are counter increments (commutative, so unconditional); ``tracking`` moves each
    stream (or log) from the position it was read at to a new one.
    """

    puts: dict[Key, tuple[Data, int]] = field(default_factory=dict)
    deletes: dict[Key, int] = field(default_factory=dict)
    adds: dict[Key, int] = field(default_factory=dict)
    tracking: dict[Position, tuple[int, int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.puts) + len(self.deletes) + len(self.adds) + len(self.tracking)


def prefix_end(prefix: str) -> str | None:
    """Return the least string above every string that starts with ``prefix`` (None: none is).

    Strings are ordered by code point (Python's order, SQLite's default collation and
    DynamoDB's byte order of UTF-8 alike), so ``prefix <= s < prefix_end(prefix)`` holds for
    exactly the strings ``s`` that start with ``prefix``.
    """
    stem = prefix.rstrip(chr(0x10FFFF))
    if not stem:
        return None
    return stem[:-1] + chr(ord(stem[-1]) + 1)


def prefix_range(
    after: str | None, before: str | None, prefix: str | None
) -> tuple[str | None, bool, str | None]:
    """Return the bounds a query reads: ``(low, low_included, high)``, high excluded.

    ``after`` excludes its bound and a prefix includes its own, so the lower bound is the
    greater of the two; the upper bound is the lesser of ``before`` and the prefix's end.
    """
    if not prefix:
        return after, False, before
    if after is not None and after >= prefix:
        low, included = after, False
    else:
        low, included = prefix, True
    end = prefix_end(prefix)
    high = end if before is None else before if end is None else min(before, end)
    return low, included, high


class ViewConflictError(Exception):
    """An item or a stream position moved since it was read: read again and retry."""


class ReadModel(ABC):
    """Stores the projected views (in memory, SQLite or DynamoDB)."""

    # The most writes one commit may hold (DynamoDB: 100 per transaction); None: no limit.
    max_batch: int | None = None

    @abstractmethod
    def get(self, pk: Partition, sk: str) -> Item | None:
        """Return one item, or None."""

    def get_many(self, pk: Partition, sks: Sequence[str]) -> list[Item]:
        """Return the items of one partition with these sort keys, in the order asked
        (missing ones left out). Stores that can read them at once say so."""
        found = (self.get(pk, sk) for sk in sks)
        return [item for item in found if item is not None]

    @abstractmethod
    def query(
        self,
        pk: Partition,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int = 50,
        descending: bool = False,
        prefix: str | None = None,
    ) -> list[Item]:
        """Return up to ``limit`` items of one partition with ``after < sk < before`` (and
        ``sk`` starting with ``prefix``, if given), in ``sk`` order (reversed when
        ``descending``).

        A prefix is a range too (:func:`prefix_range`): only the items it names are read.
        """

    @abstractmethod
    def counters(self, pk: Partition) -> dict[str, int]:
        """Return every counter of one partition, by sort key."""

    @abstractmethod
    def position(self, key: Position) -> int:
        """Return the version a stream or a log is projected up to (0: none yet)."""

    def in_write_order(self, rows: Iterable[tuple[Key, Row]]) -> list[tuple[Key, Row]]:
        """Return ``rows`` in the order this store inserts fastest (as given, unless it says).

        A rebuild writes every row of an empty store: into a B-tree, in its key order, that
        is a run of appends rather than inserts all over it. Only the store knows that order.
        """
        return list(rows)

    @abstractmethod
    def commit(self, batch: Batch) -> None:
        """Write ``batch`` atomically, or raise ViewConflictError and write nothing."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every view, counter and position (before a rebuild from scratch), except the
        usage counters (names starting with :data:`~application.projections.keys.USAGE`),
        which no event could rebuild."""

    def scrub(self) -> None:  # noqa: B027 - most stores have nothing to do
        """Leave no copy of deleted or overwritten data in the store's own files (after an
        erasure). Stores that keep none (in memory, DynamoDB: a deleted item is gone) have
        nothing to do; a SQLite file folds its write-ahead log back and empties it."""
