"""Small lookup streams written beside the invites: received messages and UIDs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.identity import received_message_id, uid_index_id


class InboundMessage(Aggregate):
    """The receipt of one raw message (by content hash) and the outcome it ended as."""

    @staticmethod
    def create_id(digest: str, **_: Any) -> UUID:
        """Return the id derived from the raw message's SHA-256 digest."""
        return received_message_id(digest)

    @event("Processed")
    def __init__(
        self,
        digest: str,
        outcome: str,
        invite: UUID | None,
        uid: str | None,
        sequence: int | None,
        method: str | None,
        reason: str | None,
        envelope_to: str | None,
        timestamp: datetime,
        sender: dict[str, Any] | None = None,
    ) -> None:
        self.digest = digest
        # Who vouched for the sender and what verification said (None in older receipts).
        self.sender = sender
        self.outcome = outcome
        self.invite = invite
        self.uid = uid
        self.sequence = sequence
        self.method = method
        self.reason = reason
        self.envelope_to = envelope_to


class UidIndex(Aggregate):
    """Which invites carry one organizer UID (several organizers may share a UID)."""

    @staticmethod
    def create_id(uid: str, **_: Any) -> UUID:
        """Return the id derived from the UID."""
        return uid_index_id(uid)

    @event("Started")
    def __init__(self, uid: str, timestamp: datetime) -> None:
        self.uid = uid
        self.invites: list[UUID] = []

    @event("InviteAdded")
    def add(self, invite: UUID, timestamp: datetime) -> None:
        """Add an invite that carries this UID."""
        self.invites.append(invite)
