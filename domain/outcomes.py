"""The one outcome each inbound message ends as."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What became of a message (DESIGN.md, Inbound mail)."""

    CREATED = "created"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    RSVP = "rsvp"
    COUNTER = "counter"
    STALE = "stale"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
