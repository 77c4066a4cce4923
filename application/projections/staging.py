"""Views built from scratch in plain dictionaries, then written to an empty store in batches.

A rebuild reads every event once and nothing else may write meanwhile, so it needs none of
a session's revisions, read caching or per-event counter arithmetic: rows are folded in a
dict, and the counters (pure sums over the final rows, see ``Projector.counts``) are added
up once at the end. That makes the rebuild cost little more than decoding the events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any

from application.projections.store import Batch, Data, Key

# The counters a view row contributes, as the projector defines them.
Counting = Callable[[str, str, Mapping[str, Any]], Mapping[Key, int]]


class Staging:
    """Stands in for a Session during a rebuild (the projector sees the same interface)."""

    def __init__(self) -> None:
        self._values: dict[Key, Data] = {}
        self._positions: dict[str, int] = {}
        self.events = 0

    def get(self, pk: str, sk: str) -> Data | None:
        """Return an item's data, or None."""
        return self._values.get((pk, sk))

    def put(self, pk: str, sk: str, data: Data) -> None:
        """Write an item."""
        self._values[(pk, sk)] = data

    def delete(self, pk: str, sk: str) -> None:
        """Delete an item."""
        self._values.pop((pk, sk), None)

    def add(self, pk: str, sk: str, amount: int) -> None:
        """Ignore a counter change: counters are summed from the final rows instead."""

    def position(self, stream: str) -> int:
        """Return the version ``stream`` is projected up to."""
        return self._positions.get(stream, 0)

    def track(self, stream: str, version: int) -> None:
        """Record that ``stream`` is projected up to ``version``."""
        self._positions[stream] = version

    def batches(self, size: int, counts: Counting) -> Iterator[Batch]:
        """Yield everything as batches of at most ``size`` writes for an empty store: items,
        then counters, then stream positions (a log position, ``log#…``, last of all, so a
        rebuild cut short resumes from the start rather than from a half-written state)."""
        size = max(1, size)
        totals: Counter[Key] = Counter()
        for (pk, sk), data in self._values.items():
            totals.update(counts(pk, sk, data))
        # In key order: appending to a B-tree is much cheaper than inserting all over it.
        items = iter(sorted(self._values.items(), key=_key))
        while chunk := list(islice(items, size)):
            yield Batch(puts={key: (data, 0) for key, data in chunk})
        added = iter([(key, n) for key, n in totals.items() if n])
        while counted := list(islice(added, size)):
            yield Batch(adds=dict(counted))
        streams = sorted(self._positions, key=lambda stream: (stream.startswith("log#"), stream))
        positions = iter(streams)
        while chosen := list(islice(positions, size)):
            yield Batch(tracking={stream: (0, self._positions[stream]) for stream in chosen})


def _key(entry: tuple[Key, Data]) -> Key:
    return entry[0]
