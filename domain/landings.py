"""Landing requests: which mailboxes a landing page already had an invite sent to."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import NAMESPACE


def landing_claim_id(invite: UUID, mailbox: str) -> UUID:
    """Return the id of the landing claim of ``mailbox`` (a domain.addresses.mailbox_key)."""
    return uuid5(NAMESPACE, "landing\n" + invite.hex + "\n" + mailbox)


class LandingClaim(Aggregate):
    """The first address a landing request gave for one mailbox of one invite.

    Keyed by the mailbox (tags, dots and case removed), so ``ann+1@gmail.com`` and
    ``A.nn+2@gmail.com`` are one claim: a visitor cannot have one person mailed again and
    again by spelling their address differently.
    """

    @staticmethod
    def create_id(invite: UUID, mailbox: str, **_: Any) -> UUID:
        """Return the id derived from the invite and the mailbox."""
        return landing_claim_id(invite, mailbox)

    @event("Claimed")
    def __init__(self, invite: UUID, mailbox: str, address: str, timestamp: datetime) -> None:
        self.invite = invite
        self.mailbox = mailbox
        self.address = address

    def allows(self, address: str) -> bool:
        """Return whether a landing request for ``address`` may send (only the first spelling)."""
        return address == self.address
