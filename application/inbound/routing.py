"""Which drop-box mailbox takes which iTIP method, and who may send what."""

from __future__ import annotations

from dataclasses import dataclass

from domain.identity import normalize_address
from domain.values import ATTENDEE_METHODS, ORGANIZER_METHODS, Method


@dataclass(frozen=True)
class Mailboxes:
    """The local parts of the drop-box addresses (``create@``, ``rsvp@``)."""

    create: str = "create"
    rsvp: str = "rsvp"
    bulk: str = "bulk"
    # unsubscribe+TOKEN@: the mailto: of List-Unsubscribe (application/outbound/suppressions.py).
    unsubscribe: str = "unsubscribe"

    def is_unsubscribe(self, envelope_to: str | None) -> bool:
        """Return whether the message was sent to the unsubscribe mailbox."""
        return envelope_to is not None and self.mailbox_of(envelope_to) == self.unsubscribe

    def is_bulk(self, envelope_to: str | None) -> bool:
        """Return whether the message was sent to the bulk (recipient list) mailbox."""
        return envelope_to is not None and self.mailbox_of(envelope_to) == self.bulk

    def private_tag(self, envelope_to: str | None) -> str | None:
        """Return the +tag of a ``create+TAG@`` or ``bulk+TAG@`` recipient (a private
        drop-box address's secret, or a person's own tag), or None."""
        if envelope_to is None or self.mailbox_of(envelope_to) not in (self.create, self.bulk):
            return None
        local = normalize_address(envelope_to).split("@", 1)[0]
        return local.partition("+")[2] or None

    def mailbox_of(self, envelope_to: str) -> str:
        """Return the local part of an envelope recipient, without any ``+tag``."""
        local = normalize_address(envelope_to).split("@", 1)[0]
        return local.split("+", 1)[0]

    def misrouted(self, envelope_to: str | None, method: Method) -> str | None:
        """Return why ``method`` does not belong in the mailbox it was sent to, or None."""
        if envelope_to is None:
            return None
        mailbox = self.mailbox_of(envelope_to)
        if mailbox == self.create:
            if method in ORGANIZER_METHODS:
                return None
            return (
                f"a {method} was sent to {envelope_to}, which takes organizers' invites, "
                f"updates and cancellations; answers to an invite go to the {self.rsvp} mailbox"
            )
        if mailbox == self.rsvp:
            if method in ATTENDEE_METHODS:
                return None
            return (
                f"a {method} was sent to {envelope_to}, which takes attendees' replies; "
                f"invites, updates and cancellations go to the {self.create} mailbox"
            )
        return (
            f"no mailbox {mailbox!r} here: send invites to {self.create}@ "
            f"and replies to {self.rsvp}@"
        )


def unsupported_method(method: Method) -> str | None:
    """Return why this server takes no action on ``method``, or None if it does."""
    if method is Method.PUBLISH:
        return (
            "METHOD:PUBLISH posts a calendar entry that expects no replies; this server "
            "records meeting invitations: send it as an invitation from your calendar "
            "(METHOD:REQUEST) to the create mailbox"
        )
    if method is Method.DECLINECOUNTER:
        return (
            "METHOD:DECLINECOUNTER is an organizer's answer to an attendee's counter "
            "proposal, addressed to that attendee; there is nothing for this server to record"
        )
    return None
