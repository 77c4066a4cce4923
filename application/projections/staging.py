"""Views built from scratch in plain dictionaries, then written to an empty store in batches.

A rebuild reads every event once and nothing else may write meanwhile, so it needs none of
a session's revisions, read caching or per-event counter arithmetic: rows are folded in a
dict, and the counters (pure sums over the final rows, see ``Projector.counts``) are added
up once at the end. That makes the rebuild cost little more than decoding the events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from application.projections.keys import (
    VIEWS_VERSION,
    Key,
    LogPosition,
    Partition,
    Position,
    StreamPosition,
    ViewsVersion,
)
from application.projections.store import Batch, Data

# The counters a view row contributes, as the projector defines them.
Counting = Callable[[Partition, str, Mapping[str, Any]], Mapping[Key, int]]
# The store's cheapest order to insert rows in (see ReadModel.in_write_order).
Ordering = Callable[[Iterable[tuple[Key, Data]]], list[tuple[Key, Data]]]


class Staging:
    """Stands in for a Session during a rebuild (the projector sees the same interface)."""

    def __init__(self) -> None:
        self._values: dict[Key, Data] = {}
        self._positions: dict[Position, int] = {}
        self.events = 0

    def get(self, pk: Partition, sk: str) -> Data | None:
        """Return an item's data, or None."""
        return self._values.get((pk, sk))

    def put(self, pk: Partition, sk: str, data: Data) -> None:
        """Write an item."""
        self._values[(pk, sk)] = data

    def delete(self, pk: Partition, sk: str) -> None:
        """Delete an item."""
        self._values.pop((pk, sk), None)

    def add(self, pk: Partition, sk: str, amount: int) -> None:
        """Ignore a counter change: counters are summed from the final rows instead."""

    def position(self, key: Position) -> int:
        """Return the version a stream or a log is projected up to."""
        return self._positions.get(key, 0)

    def track(self, key: Position, version: int) -> None:
        """Record that a stream or a log is projected up to ``version``."""
        self._positions[key] = version

    def batches(
        self, size: int, counts: Counting, order: Ordering | None = None
    ) -> Iterator[Batch]:
        """Yield everything as batches of at most ``size`` writes for an empty store: items
        (in the store's ``order``, if given), then counters, then stream positions (a log
        position and the views' version last of all, so a rebuild cut short resumes from
        the start rather than from a half-written state)."""
        size = max(1, size)
        totals: dict[Key, int] = {}
        for (pk, sk), data in self._values.items():
            for key, n in counts(pk, sk, data).items():
                totals[key] = totals.get(key, 0) + n
        rows = self._values.items()
        items = iter(order(rows) if order is not None else rows)
        while chunk := list(islice(items, size)):
            yield Batch(puts={key: (data, 0) for key, data in chunk})
        added = iter([(key, n) for key, n in totals.items() if n])
        while counted := list(islice(added, size)):
            yield Batch(adds=dict(counted))
        # Views built from scratch are of the current version.
        reached = {**self._positions, ViewsVersion(): VIEWS_VERSION}
        # By name within each kind: streams (keys of one kind sort by their name), then logs.
        streams = sorted(key for key in self._positions if isinstance(key, StreamPosition))
        logs = sorted(key for key in self._positions if isinstance(key, LogPosition))
        ordered: list[Position] = [*streams, *logs, ViewsVersion()]
        positions = iter(ordered)
        while chosen := list(islice(positions, size)):
            yield Batch(tracking={key: (0, reached[key]) for key in chosen})
