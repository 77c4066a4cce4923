"""Who received an invite, in pages: a million recipients never make one huge stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import NAMESPACE

PAGE_SIZE = 1000


def roster_page_id(invite: UUID, page: int) -> UUID:
    """Return the id of page ``page`` of an invite's recipient roster."""
    return uuid5(NAMESPACE, f"roster\n{invite.hex}\n{page}")


class RosterPage(Aggregate):
    """Up to PAGE_SIZE reply tokens of an invite's recipients, in the order they were added."""

    @staticmethod
    def create_id(invite: UUID, page: int, **_: Any) -> UUID:
        """Return the id derived from the invite and the page number."""
        return roster_page_id(invite, page)

    @event("Opened")
    def __init__(self, invite: UUID, page: int, timestamp: datetime) -> None:
        self.invite = invite
        self.page = page
        self.tokens: list[str] = []

    @property
    def full(self) -> bool:
        """Return whether the page has no room left."""
        return len(self.tokens) >= PAGE_SIZE

    @event("RecipientAdded")
    def add(self, token: str, timestamp: datetime) -> None:
        """Add one recipient, by reply token."""
        self.tokens.append(token)
