"""Use case: a landing page's visitor has the invite sent to an address (origin "landing").

Sending takes the invite's landing signature, which only those who may send are given; the
download signature every reader sees is another capability and opens nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from application.send_types import Recipient, Save, SendOutcome, SendResult
from application.stores import Loader
from domain.addresses import address_problem, mailbox_key
from domain.identity import normalize_address
from domain.invite import Invite
from domain.invite_signatures import Capability, invite_signature, invite_signature_matches
from domain.landings import LandingClaim, landing_claim_id

# A suppressed address gets the page a sent one gets: a visitor typing someone's address must
# not learn that its owner unsubscribed, complained or bounced (nothing is mailed all the same).
_ON_ITS_WAY = {
    SendOutcome.SENT,
    SendOutcome.QUEUED,
    SendOutcome.DUPLICATE,
    SendOutcome.SUPPRESSED,
}


class Send(Protocol):
    """Sends an invite's current version to recipients (the outbound door's ``send``)."""

    def __call__(
        self, ref: str, recipients: Sequence[Recipient], *, now: datetime
    ) -> list[SendResult]: ...


class LandingOutcome(StrEnum):
    """What became of a landing request."""

    UNKNOWN = "unknown"  # no such invite, or not its landing signature
    CANCELLED = "cancelled"  # the event is cancelled: there is nothing to invite anyone to
    INVALID = "invalid"  # not a usable address
    SENT = "sent"  # on its way (or already received)
    DUPLICATE = "duplicate"  # this mailbox, spelled otherwise, already had it sent
    NOT_SENT = "not-sent"  # refused (blocked, limit, held update) or failed


@dataclass(frozen=True)
class Landing:
    """A landing request's outcome, the invite it named, the address and why (if refused)."""

    outcome: LandingOutcome
    invite: Invite | None = None
    address: str | None = None
    reason: str | None = None


class Landings:
    """Issues landing signatures and sends the invite once per mailbox that asks."""

    def __init__(self, load: Loader, save: Save, secret: bytes, send: Send) -> None:
        self._load = load
        self._save = save
        self._secret = secret
        self._send = send

    def signature(self, invite: UUID) -> str:
        """Return ``invite``'s landing signature (for its organizer's landing pages only)."""
        return invite_signature(self._secret, Capability.LANDING, invite)

    def request(
        self, invite_id: UUID, signature: str, address: str, name: str | None, now: datetime
    ) -> Landing:
        """Send the invite to ``address`` unless refused; each mailbox gets it once."""
        valid = invite_signature_matches(self._secret, Capability.LANDING, invite_id, signature)
        invite = self._load(Invite, invite_id) if valid else None
        if invite is None:
            return Landing(LandingOutcome.UNKNOWN)
        if invite.is_cancelled:
            # Sending now would mail a CANCEL to someone who never had the invitation.
            return Landing(LandingOutcome.CANCELLED, invite)
        recipient = normalize_address(address)
        problem = address_problem(recipient)
        if problem is not None:
            return Landing(LandingOutcome.INVALID, invite, recipient, problem)
        if not self._claim(invite.id, recipient, now):
            return Landing(LandingOutcome.DUPLICATE, invite, recipient)
        (result,) = self._send(str(invite.id), [Recipient(recipient, name, "landing")], now=now)
        outcome = LandingOutcome.SENT if result.outcome in _ON_ITS_WAY else LandingOutcome.NOT_SENT
        return Landing(outcome, invite, recipient, result.reason)

    def _claim(self, invite: UUID, address: str, now: datetime) -> bool:
        """Return whether ``address`` may be sent the invite: its mailbox's first spelling."""
        mailbox = mailbox_key(address)
        claim = self._load(LandingClaim, landing_claim_id(invite, mailbox))
        if claim is not None:
            return claim.allows(address)
        try:
            self._save(LandingClaim(invite=invite, mailbox=mailbox, address=address, timestamp=now))
        except RecordConflictError:
            # Another request claimed the mailbox at the same moment: it sends, this one not.
            return False
        return True
