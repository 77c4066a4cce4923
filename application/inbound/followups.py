"""What follows a committed change: the port between what arrives and what is sent.

Ingest records; it never sends. Fan-out to everyone who received an invite, announcements
and organizer notices are a policy the composition root wires (``application/outbound/
propagation.py``), as cosmicpython's event handlers or eventsourcing's process policies do;
an inbound flow without one (:class:`NoFollowups`) only records.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.ports import RecipientRow
from application.results import IngestResult
from application.send_types import Recipient
from domain.indexes import InboundMessage
from domain.invite import Invite
from domain.messages import ListRequest, ParsedMessage, Unusable


@dataclass(frozen=True)
class Change:
    """One message's committed outcome, as what follows it reads it.

    ``invite`` is the invite it created, changed or was answered about, when one is needed
    afterwards; ``verified_sender`` is whom a rejection may be told to (only an address
    something other than its own word vouches for).
    """

    message: ParsedMessage | ListRequest
    result: IngestResult
    invite: Invite | None
    verified_sender: str | None
    now: datetime


@dataclass(frozen=True)
class AcceptedList:
    """A recipient list an organizer mailed in, read and accepted for ``invite``."""

    invite: Invite
    digest: str  # the kept raw message the list came in, read again by queued parts
    recipients: Sequence[Recipient]
    invalid: Sequence[RecipientRow]


class Followups(ABC):
    """Acts on what ingest committed; never undoes it (a failure here is logged or retried)."""

    @abstractmethod
    def committed(self, change: Change) -> None:
        """Follow one committed outcome (send the new version, announce it, tell people)."""

    @abstractmethod
    def redelivered(self, seen: InboundMessage, now: datetime) -> None:
        """Follow a message seen before again: what followed it may not have finished."""

    @abstractmethod
    def list_accepted(self, accepted: AcceptedList, now: datetime) -> None:
        """Send an accepted recipient list the invite (at once, or queued in parts)."""

    @abstractmethod
    def reply_forwarded(self, message: Unusable, invite: Invite, now: datetime) -> None:
        """Forward a reply without a calendar to the organizer of the invite it answers."""


class NoFollowups(Followups):
    """Records only: nothing is sent, announced or told (an inbound flow on its own)."""

    def committed(self, change: Change) -> None:
        """Do nothing."""

    def redelivered(self, seen: InboundMessage, now: datetime) -> None:
        """Do nothing."""

    def list_accepted(self, accepted: AcceptedList, now: datetime) -> None:
        """Do nothing."""

    def reply_forwarded(self, message: Unusable, invite: Invite, now: datetime) -> None:
        """Do nothing."""
