"""What the inbound adapter hands the core: one parsed iTIP message, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass

from domain.values import Component, Method


@dataclass(frozen=True)
class ItipMessage:
    """One iTIP message about one UID, as parsed from an email or a bare .ics file.

    ``sender`` is the email's From address (None for a bare .ics), ``organizer`` the
    ORGANIZER property (normalized), ``sent_by`` its SENT-BY parameter.
    """

    method: Method
    uid: str
    components: tuple[Component, ...]
    organizer: str | None = None
    organizer_name: str | None = None
    sent_by: str | None = None
    sender: str | None = None
    prodid: str | None = None
    comment: str | None = None
    # Sent by a machine (Auto-Submitted, Precedence: bulk, a mailer daemon): never answer it.
    automatic: bool = False
    # Every address of every From header (normalized): one, or the sender is undetermined.
    from_addresses: tuple[str, ...] = ()
    # What the message says that the server leaves out or does not act on, for people: a loss
    # is recorded with the outcome, never silent.
    losses: tuple[str, ...] = ()

    @property
    def master(self) -> Component | None:
        """Return the component without RECURRENCE-ID, if the message has one."""
        return next((c for c in self.components if c.recurrence_id is None), None)


@dataclass(frozen=True)
class Unusable:
    """A message that carries no usable iTIP event, with a reason a person can act on.

    ``kind`` is a short stable code (``no-calendar``, ``tnef``, ``bounce``, ``not-an-event``,
    ``publish``, ``several-uids``, ``malformed``, ...) for scripts and reports.
    """

    kind: str
    reason: str
    sender: str | None = None
    automatic: bool = False
    subject: str | None = None
    # The plain text of a message without calendar data (bounded), to forward to a person.
    text: str | None = None
    from_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification (RFC 3464): a message we sent could not be delivered.

    ``permanent`` is True for Action: failed (5.x.x), False for delayed (4.x.x).
    """

    permanent: bool
    recipient: str | None = None
    status: str | None = None
    diagnostic: str | None = None

    @property
    def reason(self) -> str:
        """Return what the receiving system said, in one line."""
        parts = [p for p in (self.status, self.diagnostic) if p]
        return " ".join(parts) or "the receiving mail system refused the message"


@dataclass(frozen=True)
class ListRequest:
    """An organizer's email to the bulk mailbox: a recipient list for one of their invites."""

    sender: str | None
    subject: str | None
    attachment: bytes
    automatic: bool = False
    from_addresses: tuple[str, ...] = ()


ParsedMessage = ItipMessage | Unusable | Bounce
