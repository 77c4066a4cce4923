"""The application recorder; its notification log is an explicit opt-in with a stated ceiling.

Default (``DYNAMODB_NOTIFICATIONS=n``): a save writes only its own stream's items, so unrelated
aggregates never share a key (no hot key on ingest); ``insert_events`` returns no ids and the
log reads as empty. Opt-in (``=y``): each save also advances ONE counter item
(``notification#counter``) inside the same transaction, conditional on the value it read, so
ids are contiguous and gap-free and id N+1 can only commit after N. Ceiling: every save writes
that one item, about 1,000 writes/s per partition key, so roughly 1,000 saves/s system-wide
(fewer under contention: losers re-read and retry). Log items are sharded by id range
(``notification#<id // 1000>``): writes still hit one shard at a time, but each shard is a
small, soon-cold partition, and a page of reads is a Query on one or two shards.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    OperationalError,
    StoredEvent,
    Subscription,
)

from adapters.storage.dynamodb import table as dynamo
from adapters.storage.dynamodb.events import DynamoAggregateRecorder, check_unique
from adapters.storage.dynamodb.subscription import PollingSubscription, to_notification
from adapters.storage.dynamodb.table import DynamoTable, Item

COUNTER_PK = "notification#counter"
SHARD_SIZE = 1000
MAX_ATTEMPTS = 50


class DynamoApplicationRecorder(DynamoAggregateRecorder, ApplicationRecorder):
    """Streams plus, when ``notifications`` is on, a contiguous notification log."""

    def __init__(self, table: DynamoTable, *, notifications: bool = False) -> None:
        super().__init__(table, prefix="stream")
        self.notifications = notifications

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Save events (and tracking) in one transaction; number them when the log is on."""
        if not self.notifications or not stored_events:
            super().insert_events(stored_events, **kwargs)
            return [] if self.notifications else None
        check_unique(stored_events)
        extra = self.extra_operations(**kwargs)
        needed = 1 + 2 * len(stored_events) + len(extra)
        if needed > dynamo.MAX_TRANSACTION_ITEMS:
            msg = (
                f"DynamoDB transactions hold at most {dynamo.MAX_TRANSACTION_ITEMS} items; with "
                f"the notification log on, this save of {len(stored_events)} events needs {needed}"
            )
            raise dynamo.TransactionTooLargeError(msg)
        for attempt in range(MAX_ATTEMPTS):
            last = self.max_notification_id() or 0
            operations = [self.counter_put(last, last + len(stored_events))]
            operations += self.event_puts(stored_events, first_id=last + 1)
            operations += self.notification_puts(stored_events, last + 1) + extra
            # Counter and log items fail only when another writer took our ids: retry those.
            logged = {0, *range(1 + len(stored_events), 1 + 2 * len(stored_events))}
            try:
                self.table.transact(operations, retryable=logged)
            except dynamo.RetryableConflictError:
                time.sleep(min(0.001 * 2**attempt, 0.1))
                continue
            return list(range(last + 1, last + 1 + len(stored_events)))
        raise OperationalError(f"Notification counter still contended after {MAX_ATTEMPTS} tries")

    def counter_put(self, last: int, new: int) -> Item:
        """Advance the counter from the value we read, or fail if someone moved it."""
        put = self.table.put(
            {"pk": {"S": COUNTER_PK}, "sk": {"N": "0"}, "n": {"N": str(new)}},
            condition="attribute_not_exists(pk) OR n = :last",
        )
        put["Put"]["ExpressionAttributeValues"] = {":last": {"N": str(last)}}
        return put

    def notification_puts(self, stored_events: Sequence[StoredEvent], first_id: int) -> list[Item]:
        """One log item per event, keyed by its id in its id-range shard."""
        puts = []
        for nid, event in enumerate(stored_events, start=first_id):
            item: Item = {
                "pk": {"S": f"notification#{nid // SHARD_SIZE}"},
                "sk": {"N": str(nid)},
                "oid": {"S": str(event.originator_id)},
                "uuid": {"BOOL": isinstance(event.originator_id, UUID)},
                "ver": {"N": str(event.originator_version)},
                "topic": {"S": event.topic},
                "state": {"B": event.state},
            }
            puts.append(self.table.put(item, condition="attribute_not_exists(pk)"))
        return puts

    def max_notification_id(self) -> int | None:
        """The counter's value (None before the first notification, or with the log off)."""
        if not self.notifications:
            return None
        item = self.table.get(COUNTER_PK, 0)
        value = int(item["n"]["N"]) if item else 0
        return value or None

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """Query the id-range shards from ``start`` up to ``stop`` (or the counter)."""
        last = self.max_notification_id()
        if last is None or limit <= 0:
            return []
        lo = (start or 1) if inclusive_of_start else (start or 0) + 1
        hi = last if stop is None else min(stop, last)
        found: list[Notification] = []
        while lo <= hi and len(found) < limit:
            shard_hi = min(hi, (lo // SHARD_SIZE + 1) * SHARD_SIZE - 1)
            items = self.table.query(
                f"notification#{lo // SHARD_SIZE}",
                "sk BETWEEN :lo AND :hi",
                {":lo": {"N": str(lo)}, ":hi": {"N": str(shard_hi)}},
                limit=None if topics else limit - len(found),
            )
            for item in items:
                if topics and item["topic"]["S"] not in topics:
                    continue
                found.append(to_notification(item))
                if len(found) == limit:
                    break
            lo = shard_hi + 1
        return found

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        """A subscription that polls the log (DynamoDB has no LISTEN/NOTIFY)."""
        return PollingSubscription(self, gt=gt, topics=topics)
