"""The read model in memory: for tests and the memory backend.

Plain dicts keyed by the typed keys themselves: nothing is stored, so no key is spelled out.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Iterator

from application.projections.keys import USAGE, Partition, Position, StreamPosition
from application.projections.store import (
    Batch,
    Item,
    ReadModel,
    ViewConflictError,
    prefix_range,
)


class MemoryReadModel(ReadModel):
    """Partitions of items kept in sort-key order, counters, and stream positions."""

    def __init__(self) -> None:
        self._items: dict[Partition, dict[str, Item]] = defaultdict(dict)
        self._order: dict[Partition, list[str]] = defaultdict(list)
        self._counters: dict[Partition, dict[str, int]] = defaultdict(dict)
        self._positions: dict[Position, int] = {}
        self._lock = threading.Lock()

    def get(self, pk: Partition, sk: str) -> Item | None:
        """Return one item, or None."""
        partition = self._items.get(pk)
        return partition.get(sk) if partition else None

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
        """Return one partition's items between the bounds, in order."""
        lowest, included, highest = prefix_range(after, before, prefix)
        with self._lock:
            keys = self._order.get(pk, [])
            low = 0
            if lowest is not None:
                low = (bisect.bisect_left if included else bisect.bisect_right)(keys, lowest)
            high = bisect.bisect_left(keys, highest) if highest is not None else len(keys)
            high = max(high, low)
            chosen = (
                keys[max(high - limit, low) : high][::-1] if descending else keys[low:high][:limit]
            )
            partition = self._items[pk]
            return [partition[sk] for sk in chosen]

    def counters(self, pk: Partition) -> dict[str, int]:
        """Return every counter of one partition."""
        return dict(self._counters.get(pk, {}))

    def position(self, key: Position) -> int:
        """Return the version a stream or a log is projected up to."""
        return self._positions.get(key, 0)

    def commit(self, batch: Batch) -> None:
        """Check every expectation, then apply the whole batch."""
        with self._lock:
            for key, (expected, _) in batch.tracking.items():
                if self._positions.get(key, 0) != expected:
                    raise ViewConflictError(f"{key} moved past {expected}")
            for (pk, sk), rev in [
                *((k, r) for k, (_, r) in batch.puts.items()),
                *batch.deletes.items(),
            ]:
                current = self._items.get(pk, {}).get(sk)
                if (current.rev if current else 0) != rev:
                    raise ViewConflictError(f"item {pk} {sk} changed since it was read")
            for (pk, sk), (data, rev) in batch.puts.items():
                if sk not in self._items[pk]:
                    bisect.insort(self._order[pk], sk)
                self._items[pk][sk] = Item(pk, sk, dict(data), rev + 1)
            for pk, sk in batch.deletes:
                if self._items[pk].pop(sk, None) is not None:
                    self._order[pk].remove(sk)
            for (pk, sk), amount in batch.adds.items():
                partition = self._counters[pk]
                partition[sk] = partition.get(sk, 0) + amount
            for key, (_, new) in batch.tracking.items():
                self._positions[key] = new

    def batches(self, size: int) -> Iterator[Batch]:
        """Yield everything held as batches of at most ``size`` writes for an empty store:
        items, then counters, then stream positions (the log position last of all)."""
        size = max(1, size)
        items = [item for partition in self._items.values() for item in partition.values()]
        for start in range(0, len(items), size):
            yield Batch(puts={(i.pk, i.sk): (i.data, 0) for i in items[start : start + size]})
        counters = [
            ((pk, sk), n) for pk, found in self._counters.items() for sk, n in found.items() if n
        ]
        for start in range(0, len(counters), size):
            yield Batch(adds=dict(counters[start : start + size]))
        keys = sorted(self._positions, key=lambda key: not isinstance(key, StreamPosition))
        for start in range(0, len(keys), size):
            chosen = keys[start : start + size]
            yield Batch(tracking={key: (0, self._positions[key]) for key in chosen})

    def clear(self) -> None:
        """Forget everything but the usage counters."""
        with self._lock:
            self._items.clear()
            self._order.clear()
            for pk, counters in list(self._counters.items()):
                kept = {sk: n for sk, n in counters.items() if sk.startswith(USAGE)}
                if kept:
                    self._counters[pk] = kept
                else:
                    del self._counters[pk]
            self._positions.clear()
