"""Tracking records for projections, alone or in the same transaction as a process's events.

One head item per upstream application (``tracking#<name>``, sk 0) holds the highest
notification id processed. A new position is written only if it is higher, so a redelivered
or older notification raises IntegrityError; a per-id item could not refuse "filling a gap"
below the maximum, which eventsourcing's contract requires. Only that application's own
projection writes its head, one position at a time, so it is not on the ingest path.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import ProcessRecorder, Tracking, TrackingRecorder

from adapters.storage.dynamodb.application import DynamoApplicationRecorder
from adapters.storage.dynamodb.table import DynamoTable, Item


def tracking_key(application_name: str) -> str:
    """The partition key of an upstream application's tracking head."""
    return f"tracking#{application_name}"


class DynamoTrackingRecorder(TrackingRecorder):
    """Records how far each upstream notification log has been processed."""

    def __init__(self, table: DynamoTable) -> None:
        self.table = table

    def tracking_put(self, tracking: Tracking) -> Item:
        """A Put that only moves the head forwards."""
        put = self.table.put(
            {
                "pk": {"S": tracking_key(tracking.application_name)},
                "sk": {"N": "0"},
                "nid": {"N": str(tracking.notification_id)},
            },
            condition="attribute_not_exists(pk) OR nid < :nid",
        )
        put["Put"]["ExpressionAttributeValues"] = {":nid": {"N": str(tracking.notification_id)}}
        return put

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record a position; an equal or lower one raises IntegrityError."""
        self.table.transact([self.tracking_put(tracking)])

    def max_tracking_id(self, application_name: str) -> int | None:
        """The highest processed notification id, or None."""
        item = self.table.get(tracking_key(application_name), 0)
        return int(item["nid"]["N"]) if item else None


class DynamoProcessRecorder(DynamoTrackingRecorder, DynamoApplicationRecorder, ProcessRecorder):
    """Writes a process's new events and its tracking head in one transaction."""

    def __init__(self, table: DynamoTable, *, notifications: bool = False) -> None:
        DynamoApplicationRecorder.__init__(self, table, notifications=notifications)

    def extra_operations(self, **kwargs: Any) -> list[Item]:
        """The tracking Put, when the save carries one."""
        tracking: Tracking | None = kwargs.get("tracking")
        return [self.tracking_put(tracking)] if tracking else []
