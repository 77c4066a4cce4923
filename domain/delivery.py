"""One recipient's copy of one invite: who, through which reply token, and each send."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import NAMESPACE

# The origin of an attendee who answered a copy forwarded to them: never sent anything by us.
FORWARDED = "forwarded"


def delivery_id(token: str) -> UUID:
    """Return the id of the delivery stream behind a reply token (no lookup table needed)."""
    return uuid5(NAMESPACE, "delivery\n" + token)


@dataclass(frozen=True)
class Attempt:
    """What happened to one version sent to this recipient."""

    sequence: int
    method: str
    message_id: str
    status: str  # pending | sent | failed | superseded
    detail: str | None = None
    # Who is handing this version to the mailer, and until when that claim holds.
    claimed_by: str | None = None
    claimed_until: datetime | None = None

    def claimant(self, at: datetime) -> str | None:
        """Return the worker whose claim on this pending send still holds at ``at``, if any."""
        if self.status != "pending" or self.claimed_until is None or at >= self.claimed_until:
            return None
        return self.claimed_by

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        return {
            "sequence": self.sequence,
            "method": self.method,
            "message_id": self.message_id,
            "status": self.status,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attempt:
        """Rebuild from :meth:`as_dict` output."""
        return cls(**data)


class Delivery(Aggregate):
    """A recipient the server sent an invite to, keyed by the recipient's reply token.

    Sending follows intent → send → outcome: the intent is recorded before the mailer is
    called, so a crash in between leaves a pending attempt that a retry completes with the
    same Message-ID, and never a lost or doubled message.
    """

    # How many people answered a forwarded copy of this recipient's invitation (a class
    # default, so records older than the count read 0).
    forwardees: int = 0
    # At most this many: one reply address must not mint an audience of invented attendees.
    MAX_FORWARDEES = 5

    @staticmethod
    def create_id(token: str, **_: Any) -> UUID:
        """Return the id derived from the reply token."""
        return delivery_id(token)

    @event("ForwardeeEnrolled")
    def enrol_forwardee(self, address: str, timestamp: datetime) -> None:
        """Count one more person who answered this recipient's forwarded copy."""
        self.forwardees += 1

    @event("Invited")
    def __init__(
        self,
        token: str,
        invite: UUID,
        address: str,
        name: str | None,
        origin: str,
        timestamp: datetime,
    ) -> None:
        self.token = token
        self.invite = invite
        self.address = address
        self.name = name
        self.origin = origin
        self.attempts: dict[str, Attempt] = {}
        self.bounced: str | None = None

    def attempt(self, sequence: int) -> Attempt | None:
        """Return what happened to version ``sequence`` for this recipient, if anything."""
        return self.attempts.get(str(sequence))

    @property
    def pending(self) -> list[Attempt]:
        """Return the versions whose send was intended but not completed."""
        return [a for a in self.attempts.values() if a.status == "pending"]

    @property
    def last_sent(self) -> Attempt | None:
        """Return the newest version that reached the mailer."""
        sent = [a for a in self.attempts.values() if a.status == "sent"]
        return max(sent, key=lambda a: a.sequence) if sent else None

    def lacks(self, sequence: int) -> bool:
        """Return whether version ``sequence`` still has to reach this recipient."""
        attempt = self.attempt(sequence)
        return attempt is None or attempt.status == "pending"

    @event("SendIntended")
    def intend(
        self,
        sequence: int,
        method: str,
        message_id: str,
        timestamp: datetime,
        worker: str | None = None,
        until: datetime | None = None,
    ) -> None:
        """Record that version ``sequence`` is to be sent, before handing it to a mailer,
        claimed by ``worker`` until ``until`` when given (as :meth:`claim`, in one event).

        An older version still pending is superseded: the recipient gets this one instead.
        """
        for key, attempt in list(self.attempts.items()):
            if attempt.status == "pending" and attempt.sequence < sequence:
                self.attempts[key] = Attempt(
                    attempt.sequence, attempt.method, attempt.message_id, "superseded"
                )
        self.attempts[str(sequence)] = Attempt(
            sequence, method, message_id, "pending", claimed_by=worker, claimed_until=until
        )

    @event("SendClaimed")
    def claim(self, sequence: int, worker: str, until: datetime, timestamp: datetime) -> None:
        """Record that ``worker`` hands version ``sequence`` to the mailer, before it does.

        Saved with optimistic concurrency, so of two workers only one wins; the claim lapses
        at ``until`` (or sooner, when the worker is known to have stopped), then anyone may
        retry. The outcome (sent or failed) ends it.
        """
        attempt = self.attempts[str(sequence)]
        self.attempts[str(sequence)] = replace(attempt, claimed_by=worker, claimed_until=until)

    @event("Sent")
    def sent(self, sequence: int, where: str, timestamp: datetime) -> None:
        """Record that the mailer accepted version ``sequence``."""
        attempt = self.attempts[str(sequence)]
        self.attempts[str(sequence)] = Attempt(
            attempt.sequence, attempt.method, attempt.message_id, "sent", where
        )

    @event("SendFailed")
    def failed(self, sequence: int, reason: str, permanent: bool, timestamp: datetime) -> None:
        """Record a failed send: a permanent failure ends it, a temporary one stays pending."""
        attempt = self.attempts[str(sequence)]
        status = "failed" if permanent else "pending"
        self.attempts[str(sequence)] = Attempt(
            attempt.sequence, attempt.method, attempt.message_id, status, reason
        )

    @event("Bounced")
    def bounce(self, reason: str, timestamp: datetime) -> None:
        """Record that the recipient's mail system bounced our message."""
        self.bounced = reason
