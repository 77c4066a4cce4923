"""The one outcome each inbound message ends as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What became of a message (docs/architecture.md, Inbound mail)."""

    CREATED = "created"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    RSVP = "rsvp"
    COUNTER = "counter"
    STALE = "stale"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    BOUNCED = "bounced"
    BULK = "bulk"
    UNSUBSCRIBED = "unsubscribed"  # mail to unsubscribe+TOKEN@: its recipient is suppressed


@dataclass(frozen=True)
class Verdict:
    """What one message did to an invite."""

    outcome: Outcome
    reason: str | None = None
