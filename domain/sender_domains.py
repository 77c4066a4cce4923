"""Per organizer domain: which sender policy its organizers' mail is held to, and who owns it.

A domain's owners administer its organizers in the web app (their statistics, suspensions,
limits, blocks) and read its invites without the attendees' addresses. Each owner's address
is in the domain it owns: the domain's own mail system receives their sign-in links, and a
session finds its role by one lookup, the record of its own address's domain.
"""

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


class NotInDomainError(ValueError):
    """An owner's address is not in the domain it would own."""


class SenderDomain(Aggregate):
    """An organizer domain's own sender policy, overriding the server's default, and the
    addresses that own it."""

    # A class default, so records and snapshots older than owners read ().
    owners: tuple[str, ...] = ()

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

    def owned_by(self, address: str) -> bool:
        """Return whether ``address`` (normalized) is one of the domain's owners."""
        return address in tuple(self.owners)

    @event("OwnersSet")
    def set_owners(self, owners: list[str], timestamp: datetime) -> None:
        """Replace the domain's owners (normalized addresses of the domain; none: no owner)."""
        for owner in owners:
            if owner.rpartition("@")[2] != self.domain:
                raise NotInDomainError(f"{owner} is not an address of {self.domain}")
        self.owners = tuple(owners)
