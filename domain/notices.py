"""An organizer notice that could not be sent at once, kept until a retry delivers it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import NAMESPACE


def deferred_notice_id(key: str) -> UUID:
    """Return the id of a deferred notice from its content key (the same notice, one record)."""
    return uuid5(NAMESPACE, "deferred-notice\n" + key)


class DeferredNotice(Aggregate):
    """A notice whose first send failed for now: what it says, and each later try.

    Retries claim it first, like a send to a recipient (``Delivery.claim``), so two workers
    never both hand it to the mailer.
    """

    @staticmethod
    def create_id(key: str, **_: Any) -> UUID:
        """Return the id derived from the notice's content key."""
        return deferred_notice_id(key)

    @event("Deferred")
    def __init__(
        self,
        key: str,
        kind: str,
        to: str,
        invite: UUID | None,
        title: str | None,
        facts: dict[str, str],
        attachment_name: str | None,
        attachment: str | None,  # base64: events hold JSON
        written: datetime,
        reason: str,
        timestamp: datetime,
    ) -> None:
        self.key = key
        self.kind = kind
        self.to = to
        self.invite = invite
        self.title = title
        self.facts = facts
        self.attachment_name = attachment_name
        self.attachment = attachment
        self.written = written
        self.reason = reason
        self.status = "pending"  # pending | sent | failed
        self.where: str | None = None
        self.claimed_by: str | None = None
        self.claimed_until: datetime | None = None

    def claimant(self, at: datetime) -> str | None:
        """Return the worker whose claim on this pending notice still holds at ``at``."""
        if self.status != "pending" or self.claimed_until is None or at >= self.claimed_until:
            return None
        return self.claimed_by

    @event("SendClaimed")
    def claim(self, worker: str, until: datetime, timestamp: datetime) -> None:
        """Record that ``worker`` hands the notice to the mailer, before it does."""
        self.claimed_by, self.claimed_until = worker, until

    @event("Sent")
    def sent(self, where: str, timestamp: datetime) -> None:
        """Record that the mailer accepted the notice."""
        self.status, self.where = "sent", where
        self.claimed_by = self.claimed_until = None

    @event("SendFailed")
    def failed(self, reason: str, permanent: bool, timestamp: datetime) -> None:
        """Record a failed retry: a permanent failure ends it, a temporary one stays pending."""
        self.reason = reason
        self.status = "failed" if permanent else "pending"
        self.claimed_by = self.claimed_until = None
