"""What sending takes and gives: settings, recipients, outcomes, results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class OutboundSettings:
    """How the server sends: its mail domain, From address, replies mailbox and HMAC secret."""

    domain: str
    sender: str
    rsvp_mailbox: str
    secret: bytes
    bounce_mailbox: str = "bounces"
    # List-Unsubscribe's mailto: unsubscribe+TOKEN@domain (application/outbound/suppressions.py).
    unsubscribe_mailbox: str = "unsubscribe"


class SendOutcome(StrEnum):
    """What became of one recipient of a send."""

    SENT = "sent"
    QUEUED = "queued"  # the mailer failed for now; the send stays pending and is retried
    FAILED = "failed"  # the mailer refused for good
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    BLOCKED = "blocked"
    LIMIT = "limit"
    CANCELLED = "cancelled"  # the invite is cancelled and the recipient never had it
    # Another worker claimed this send and may be handing it to the mailer now: left to it.
    CLAIMED_ELSEWHERE = "claimed-elsewhere"
    # On the suppression list (unsubscribed, complaint, hard bounce, admin): never mailed.
    SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Recipient:
    """Who to send to, and where the request came from (api, landing, bulk, vip, campaign…)."""

    address: str
    name: str | None = None
    origin: str = "api"


@dataclass(frozen=True)
class SendResult:
    """The outcome of sending one version of an invite to one recipient."""

    address: str
    outcome: SendOutcome
    invite: UUID | None = None
    sequence: int | None = None
    message_id: str | None = None
    reason: str | None = None
    # The kind of organizer notice a retry sent again; None for invitations.
    notice: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the CLI's JSON shape."""
        return {
            "address": self.address,
            "outcome": self.outcome.value,
            "invite": str(self.invite) if self.invite else None,
            "sequence": self.sequence,
            "message_id": self.message_id,
            "reason": self.reason,
            "notice": self.notice,
        }


@dataclass
class SendTally:
    """What a send came to, counted as its results stream by: a million recipients' results
    are never all held to count them or to tell the organizer."""

    counts: Counter[str] = field(default_factory=Counter)
    # The first ``limit`` result's reason (the limit notice quotes it).
    limit_reason: str | None = None

    @classmethod
    def of(cls, results: Iterable[SendResult]) -> SendTally:
        """Return the tally of ``results``."""
        tally = cls()
        for result in results:
            tally.add(result)
        return tally

    def add(self, result: SendResult) -> None:
        """Count one more result."""
        self.counts[result.outcome.value] += 1
        if result.outcome is SendOutcome.LIMIT and self.limit_reason is None:
            self.limit_reason = result.reason or ""

    @property
    def total(self) -> int:
        """Return how many results were counted."""
        return sum(self.counts.values())


Save = Callable[..., object]
# Called with each recipient's result as soon as it exists (progress bars, streamed output).
Progress = Callable[[SendResult], None]
