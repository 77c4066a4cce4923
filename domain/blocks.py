"""Recipients who asked never to receive an organizer's invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import NAMESPACE, normalize_address


def block_id(organizer: str, recipient: str) -> UUID:
    """Return the id of one recipient's block record for one organizer."""
    key = f"block\n{normalize_address(organizer)}\n{normalize_address(recipient)}"
    return uuid5(NAMESPACE, key)


class RecipientBlock(Aggregate):
    """Whether a recipient blocks an organizer; one small stream per (organizer, recipient)."""

    @staticmethod
    def create_id(organizer: str, recipient: str, **_: Any) -> UUID:
        """Return the id derived from both addresses."""
        return block_id(organizer, recipient)

    @event("Blocked")
    def __init__(self, organizer: str, recipient: str, timestamp: datetime) -> None:
        self.organizer = organizer
        self.recipient = recipient
        self.active = True

    @event("Reblocked")
    def block(self, timestamp: datetime) -> None:
        """Block again after an unblock."""
        self.active = True

    @event("Unblocked")
    def unblock(self, timestamp: datetime) -> None:
        """Allow the organizer's invitations again."""
        self.active = False
