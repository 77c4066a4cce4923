"""Aggregate event streams (and snapshots, in their own key space) on the DynamoDB table."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, IntegrityError, StoredEvent

from adapters.storage.dynamodb.table import DynamoTable, Item

# The pk prefix per purpose: eventsourcing asks for purpose="snapshots" for its snapshot store.
PREFIXES = {"events": "stream", "snapshots": "snapshot"}


def prefix_for(purpose: str) -> str:
    """The pk prefix of the key space that holds the given purpose's streams."""
    return PREFIXES.get(purpose, purpose)


class DynamoAggregateRecorder(AggregateRecorder):
    """One partition per stream (``<prefix>#<originator_id>``), sorted by version."""

    def __init__(self, table: DynamoTable, prefix: str = "stream") -> None:
        self.table = table
        self.prefix = prefix

    def stream_key(self, originator_id: UUID | str) -> str:
        """The partition key of one aggregate's stream."""
        return f"{self.prefix}#{originator_id}"

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Save all events in one conditional transaction; a taken version is an IntegrityError."""
        check_unique(stored_events)
        self.table.transact(self.event_puts(stored_events) + self.extra_operations(**kwargs))
        return None

    def extra_operations(self, **kwargs: Any) -> list[Item]:
        """Operations written in the same transaction as the events (tracking, in subclasses)."""
        return []

    def event_puts(
        self, stored_events: Sequence[StoredEvent], first_id: int | None = None
    ) -> list[Item]:
        """One conditional Put per event; ``first_id`` tags them with notification ids."""
        puts = []
        for i, event in enumerate(stored_events):
            item: Item = {
                "pk": {"S": self.stream_key(event.originator_id)},
                "sk": {"N": str(event.originator_version)},
                "topic": {"S": event.topic},
                "state": {"B": event.state},
            }
            if first_id is not None:
                item["nid"] = {"N": str(first_id + i)}
            puts.append(self.table.put(item, condition="attribute_not_exists(pk)"))
        return puts

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """Query one stream's partition by version range (never a Scan)."""
        if gt is not None and lte is not None and gt >= lte:
            return []  # An empty range; DynamoDB would reject BETWEEN with lo > hi.
        condition, values = sk_range(gt, lte)
        items = self.table.query(
            self.stream_key(originator_id), condition, values, desc=desc, limit=limit
        )
        return [
            StoredEvent(
                originator_id=originator_id,
                originator_version=int(item["sk"]["N"]),
                topic=item["topic"]["S"],
                state=bytes(item["state"]["B"]),
            )
            for item in islice(items, limit)
        ]


def check_unique(stored_events: Sequence[StoredEvent]) -> None:
    """Refuse a save that repeats a version: AWS rejects two operations on one item."""
    keys = [(str(e.originator_id), e.originator_version) for e in stored_events]
    if len(set(keys)) != len(keys):
        msg = "A save repeats an (originator_id, originator_version) pair"
        raise IntegrityError(msg)


def sk_range(gt: int | None, lte: int | None) -> tuple[str, Item]:
    """A sort-key condition for ``gt < sk <= lte`` (DynamoDB allows one condition on sk)."""
    if gt is not None and lte is not None:
        return "sk BETWEEN :lo AND :hi", {":lo": {"N": str(gt + 1)}, ":hi": {"N": str(lte)}}
    if gt is not None:
        return "sk > :lo", {":lo": {"N": str(gt)}}
    if lte is not None:
        return "sk <= :hi", {":hi": {"N": str(lte)}}
    return "", {}
