"""Per organizer domain: which sender policy its organizers' mail is held to."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.authentication import SenderPolicy
from domain.identity import NAMESPACE


def sender_domain_id(domain: str) -> UUID:
    """Return the id of a domain's sender-policy record."""
    return uuid5(NAMESPACE, "sender-domain\n" + domain.strip().rstrip(".").lower())


class SenderDomain(Aggregate):
    """An organizer domain's own sender policy, overriding the server's default."""

    @staticmethod
    def create_id(domain: str, **_: Any) -> UUID:
        """Return the id derived from the domain."""
        return sender_domain_id(domain)

    @event("Registered")
    def __init__(self, domain: str, timestamp: datetime) -> None:
        self.domain = domain.strip().rstrip(".").lower()
        self.policy_name: str | None = None

    @property
    def policy(self) -> SenderPolicy | None:
        """Return the domain's policy, or None to follow the server's default."""
        return SenderPolicy(self.policy_name) if self.policy_name else None

    @event("PolicySet")
    def set_policy(self, policy_name: str | None, timestamp: datetime) -> None:
        """Hold the domain's mail to a policy (by name), or with None to the default."""
        self.policy_name = policy_name
