"""The admin flow's front door: the organizer registry and the API keys."""

from __future__ import annotations

from dataclasses import dataclass

from application.admin.keys import ApiKeys
from application.admin.registry import OrganizerRegistry
from application.inbound.senders import Policies
from domain.authentication import SenderPolicy


@dataclass(frozen=True)
class Admin:
    """Organizers (allow, suspend, limits, review, private addresses, blocks, domain
    policies) and API keys (issue, list, revoke, authenticate)."""

    organizers: OrganizerRegistry
    keys: ApiKeys
    policies: Policies

    def effective_policy(self, domain: str) -> SenderPolicy:
        """Return the sender policy mail from ``domain`` is held to now."""
        return self.policies.for_address(f"postmaster@{domain}")
