"""Polling subscriptions to the notification log, and rebuilding notifications from items."""

from __future__ import annotations

from collections.abc import Sequence
from threading import Event
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Notification, Subscription

from adapters.storage.dynamodb.table import Item


def to_notification(item: Item) -> Notification:
    """Rebuild a notification from its log item."""
    oid = item["oid"]["S"]
    return Notification(
        id=int(item["sk"]["N"]),
        originator_id=UUID(oid) if item["uuid"]["BOOL"] else oid,
        originator_version=int(item["ver"]["N"]),
        topic=item["topic"]["S"],
        state=bytes(item["state"]["B"]),
    )


class PollingSubscription(Subscription[ApplicationRecorder]):
    """Yields notifications after ``gt``, polling every ``interval`` seconds when idle."""

    interval = 0.1

    def __init__(
        self, recorder: ApplicationRecorder, gt: int | None = None, topics: Sequence[str] = ()
    ) -> None:
        super().__init__(recorder, gt=gt, topics=topics)
        self._buffer: list[Notification] = []
        self._stopped = Event()

    def stop(self) -> None:
        """Stop iterating, waking a poll that is sleeping."""
        super().stop()
        self._stopped.set()

    def __next__(self) -> Notification:
        """The next notification, polling until one arrives or the subscription stops."""
        while not self._buffer:
            if self._has_been_stopped:
                raise StopIteration
            self._buffer = list(
                self._recorder.select_notifications(
                    start=self._last_notification_id or 0,
                    limit=100,
                    topics=self._topics,
                    inclusive_of_start=False,
                )
            )
            if not self._buffer:
                self._stopped.wait(self.interval)
        if self._has_been_stopped:
            raise StopIteration
        notification = self._buffer.pop(0)
        self._last_notification_id = notification.id
        return notification
