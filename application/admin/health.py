"""The health of sending, for administrators: what waits, what failed, what is held, and
the replies quarantined because nothing vouched for their sender.

Read from the event store's own streams (the outbox, distributions, receipts), not from the
views: these are the numbers an operator acts on, so they are never behind. Each is a pass
over its kind of stream, fine for an administration page, never for a request path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from eventsourcing.utils import get_topic

from application.reading.front_door import Reading
from application.reading.outbox import OutboxEntry
from domain.indexes import InboundMessage

SHOWN = 50  # entries listed per kind; the counts are always whole
_QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Quarantined:
    """One reply kept and not applied: who it was addressed to, why, and when."""

    digest: str
    mailbox: str | None
    reason: str
    received: datetime


@dataclass(frozen=True)
class SendingHealth:
    """Counts of send attempts by status, bounced recipients, held invites, quarantined
    replies; and the first entries of each that a person may want to open."""

    by_status: dict[str, int]
    bounced: int
    held: list[UUID]
    pending: list[OutboxEntry] = field(default_factory=list)
    failed: list[OutboxEntry] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    quarantined_count: int = 0


def sending_health(reading: Reading) -> SendingHealth:
    """Return the health of sending now."""
    by_status: Counter[str] = Counter(dict.fromkeys(("pending", "sent", "failed"), 0))
    pending: list[OutboxEntry] = []
    failed: list[OutboxEntry] = []
    invites: dict[UUID, None] = {}
    for entry in reading.outbox():
        by_status[entry.status] += 1
        invites[entry.invite] = None
        kept = {"pending": pending, "failed": failed}.get(entry.status)
        if kept is not None and len(kept) < SHOWN:
            kept.append(entry)
    # An update is held only for an invite sent before: the outbox names every such invite.
    among = reading.held_among(list(invites))
    held = [invite for invite in invites if invite in among]
    quarantined = list(_quarantined(reading))
    bounced = int(reading.views.system_statistics().get("bounced", 0))
    return SendingHealth(
        by_status=dict(by_status),
        bounced=bounced,
        held=held,
        pending=pending,
        failed=failed,
        quarantined=quarantined[-SHOWN:][::-1],
        quarantined_count=len(quarantined),
    )


def _quarantined(reading: Reading, page: int = 500) -> Iterator[Quarantined]:
    """Yield every quarantined reply's receipt, oldest first."""
    # @event("Processed") makes this class when InboundMessage is defined; mypy cannot see it.
    topic = get_topic(InboundMessage.Processed)  # type: ignore[attr-defined]
    start = 1
    while True:
        batch = reading.store.recorder.select_notifications(start=start, limit=page, topics=[topic])
        for notification in batch:
            receipt = reading.load(InboundMessage, UUID(str(notification.originator_id)))
            reason = (receipt.reason or "") if receipt is not None else ""
            if receipt is not None and reason.startswith(_QUARANTINED):
                yield Quarantined(receipt.digest, receipt.envelope_to, reason, receipt.created_on)
        if len(batch) < page:
            return
        start = batch[-1].id + 1
