"""Read use case: every message the server meant to send, to whom, and what became of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from application.stores import Loader
from domain.delivery import Delivery


@dataclass(frozen=True)
class OutboxEntry:
    """One version sent (or pending, or failed) to one recipient."""

    to: str
    name: str | None
    invite: UUID
    origin: str
    method: str
    sequence: int
    message_id: str
    status: str
    detail: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one outbox entry; ``file`` is the outbox mailer's path."""
        is_file = self.status == "sent" and bool(self.detail) and str(self.detail).endswith(".eml")
        return {
            "to": self.to,
            "name": self.name,
            "invite": str(self.invite),
            "origin": self.origin,
            "method": self.method,
            "sequence": self.sequence,
            "message_id": self.message_id,
            "status": self.status,
            "detail": self.detail,
            "file": self.detail if is_file else None,
        }


def outbox(app: Application[UUID], load: Loader, page: int = 500) -> Iterator[OutboxEntry]:
    """Yield every send attempt, recipients in the order they were first sent to."""
    # @event("Invited") makes this class when Delivery is defined; mypy cannot see it.
    topic = get_topic(Delivery.Invited)  # type: ignore[attr-defined]
    start = 1
    while True:
        batch = app.recorder.select_notifications(start=start, limit=page, topics=[topic])
        for notification in batch:
            delivery = load(Delivery, UUID(str(notification.originator_id)))
            if delivery is None:  # pragma: no cover - the notification says it exists
                continue
            for attempt in sorted(delivery.attempts.values(), key=lambda a: a.sequence):
                yield OutboxEntry(
                    delivery.address,
                    delivery.name,
                    delivery.invite,
                    delivery.origin,
                    attempt.method,
                    attempt.sequence,
                    attempt.message_id,
                    attempt.status,
                    attempt.detail,
                )
        if len(batch) < page:
            return
        start = batch[-1].id + 1
