"""Who sent a message, as far as verification goes: the facts every sender rule reads.

Verifying costs DNS lookups, so it runs at most once per message and only when a rule asks
(policy ``off`` never does). What was checked is recorded with the message's receipt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from domain.authentication import SenderAuthentication, SenderPolicy
from domain.organizer import Organizer


@dataclass(frozen=True)
class Arrival:
    """How a message reached us: the envelope, and what the receiving side already verified.

    ``client_ip`` and ``helo`` are the SMTP client's, when the message came over SMTP here;
    ``authentication`` is a verdict made before ingest (SES's receipt on AWS).
    """

    to: str | None = None
    sender: str | None = None
    client_ip: str | None = None
    helo: str | None = None
    authentication: SenderAuthentication | None = None


@dataclass
class SenderCheck:
    """The verification of one message's sender, made on first use and then kept."""

    verify: Callable[[], SenderAuthentication] | None
    given: SenderAuthentication | None = None
    # The +tag of the mailbox it came to (create+TAG@), perhaps a private address's secret.
    private_tag: str | None = None
    # The organizer whose private drop-box address the message came to, once recognized.
    private_for: str | None = None
    # How the sender the rules accepted was vouched for (for the receipt), once decided.
    vouched: str | None = None
    _made: SenderAuthentication | None = field(default=None, repr=False)

    def note_private(self, organizer: str, record: Organizer | None) -> None:
        """Remember that the message came to ``organizer``'s private address, if it did."""
        if self.private_tag and record is not None and record.opens(self.private_tag):
            self.private_for = organizer

    def authentication(self) -> SenderAuthentication:
        """Return the verdict, verifying now if nobody has yet."""
        if self._made is None:
            if self.given is not None:
                self._made = self.given
            elif self.verify is not None:
                self._made = self.verify()
            else:
                self._made = SenderAuthentication.unchecked("no verifier is configured")
        return self._made

    def vouches_for(self, address: str, from_addresses: tuple[str, ...]) -> bool:
        """Return whether the message is DMARC-aligned and its one From is ``address``."""
        if from_addresses != (address,):
            return False
        verdict = self.authentication()
        return verdict.aligned and verdict.from_domain == domain_of(address)

    def record(self) -> dict[str, Any] | None:
        """Return what is recorded with the receipt: who vouched, and what was checked."""
        if self._made is None and self.vouched is None and self.private_for is None:
            return None
        return {
            "vouched_by": self.vouched,
            "private_address": self.private_for,
            "authentication": self._made.as_dict() if self._made is not None else None,
        }


def domain_of(address: str) -> str:
    """Return the domain of an address (lower case, as addresses are normalized)."""
    return address.rpartition("@")[2]


def single_sender(from_addresses: tuple[str, ...], fallback: str | None) -> tuple[str | None, str]:
    """Return (sender, refusal): the one sender of a message, or why there is none.

    Several From addresses name no single author (a classic forgery: the victim first); no
    From header and no envelope sender leaves nobody to act for.
    """
    if len(from_addresses) > 1:
        listed = ", ".join(a or "(unreadable)" for a in from_addresses)
        return None, (
            f"the message has several From addresses ({listed}); send it from one mailbox"
        )
    if fallback is None:
        return None, (
            "the message has no sender (no From header and no envelope sender), so nobody "
            "can be said to have sent it; send it from your mailbox as a normal email"
        )
    return fallback, ""


@dataclass(frozen=True)
class Policies:
    """The sender policy for each organizer domain: an override, or the server's default."""

    default: SenderPolicy
    lookup: Callable[[str], SenderPolicy | None]

    def for_address(self, address: str) -> SenderPolicy:
        """Return the policy that applies to mail of ``address``'s domain."""
        return self.lookup(domain_of(address)) or self.default
