"""Every event of a DynamoDB event table, by a parallel Scan (``cis aws replay``).

On DynamoDB the notification log is opt-in, so there may be no ordered log to read: the table
is scanned instead, and whoever projects the events orders each stream's by version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from adapters.storage.dynamodb.factory import DynamoDBFactory
from adapters.storage.dynamodb.scan import scan_events


class EventScan:
    """Scans the event table of an application persisted on DynamoDB."""

    def __init__(self, app: Application[Any]) -> None:
        factory = app.factory
        if not isinstance(factory, DynamoDBFactory):
            msg = f"the event store is not a DynamoDB table ({type(factory).__name__})"
            raise TypeError(msg)
        self.table = factory.table

    @property
    def name(self) -> str:
        """The event table's name."""
        name: str = self.table.name
        return name

    def events(
        self, segments: int = 4, progress: Callable[[int], None] | None = None
    ) -> list[StoredEvent]:
        """Return every aggregate event in the table, in no particular order, with
        ``segments`` threads; ``progress`` is told how many events each page brought."""
        return scan_events(self.table, segments, progress)
