"""One attendee's RSVP stream for one invite: how a million attendees stay cheap.

Each (invite, attendee) pair is its own short stream, so recording the millionth reply
reads and writes one small stream, exactly like the first, and the invite's own stream
never grows with its audience.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.identity import attendance_id
from domain.outcomes import Outcome
from domain.revision import CLOCK_SKEW, NO_DTSTAMP
from domain.values import MASTER

# A reply without SEQUENCE sorts before any reply that has one.
_NO_SEQUENCE = -1


@dataclass(frozen=True)
class Reply:
    """One attendee's answer (RFC 5546 REPLY) to the event or to one instance."""

    partstat: str
    dtstamp: datetime | None = None
    sequence: int | None = None
    recurrence_id: str | None = None
    name: str | None = None
    prodid: str | None = None
    comment: str | None = None
    delegated_to: tuple[str, ...] = ()
    delegated_from: tuple[str, ...] = ()
    # "organizer": answered the organizer's own invite; "server": a copy this server sent.
    channel: str = "organizer"
    # The recipient whose copy was forwarded to this attendee, for replies from forwards.
    forwarded_by: str | None = None
    # What vouched that the attendee sent it: their reply address, DMARC alignment, a web
    # link; None in replies recorded before senders were verified.
    verified_by: str | None = None

    @property
    def key(self) -> str:
        """Return the key replies are ordered under: one per RECURRENCE-ID."""
        return self.recurrence_id or MASTER

    def order(self) -> tuple[int, datetime, str]:
        """Return the sort key (RFC 5546 section 2.1.5): SEQUENCE, then the reply's own
        DTSTAMP, then a content tie-break.

        An answer to a newer version of the event outranks one to an older version, whatever
        their DTSTAMPs say.
        """
        sequence = _NO_SEQUENCE if self.sequence is None else self.sequence
        return (sequence, self.dtstamp or NO_DTSTAMP, self.digest())

    def outranks(self, other: Reply) -> bool:
        """Return whether this reply wins over ``other`` for the same instance.

        The organizer's invite and the server's copies number SEQUENCE each in their own
        way, so SEQUENCE decides only between replies through the same channel; across
        channels the later DTSTAMP wins, the attendee's latest word.
        """
        if self.channel == other.channel:
            return self.order() > other.order()
        mine = (self.dtstamp or NO_DTSTAMP, self.digest())
        return mine > (other.dtstamp or NO_DTSTAMP, other.digest())

    def digest(self) -> str:
        """Return a stable hash of the reply's content."""
        text = repr(sorted(self.as_dict().items()))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def counts_for(self, sequence: int) -> bool:
        """Return whether the reply answers the current version (RFC 5546 section 2.1.5).

        ``sequence`` is the SEQUENCE of the newest version the attendee was sent that changed
        something significant: a REQUEST, never the CANCEL of a single instance. A reply to
        an older SEQUENCE predates that change and no longer counts; a reply without
        SEQUENCE is taken to answer the version it reached.
        """
        return self.sequence is None or self.sequence >= sequence

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        data = asdict(self)
        data["dtstamp"] = self.dtstamp.isoformat() if self.dtstamp else None
        data["delegated_to"] = list(self.delegated_to)
        data["delegated_from"] = list(self.delegated_from)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """Rebuild from :meth:`as_dict` output."""
        stamp = data.get("dtstamp")
        return cls(
            **{
                **data,
                "dtstamp": datetime.fromisoformat(stamp) if stamp else None,
                "delegated_to": tuple(data.get("delegated_to", ())),
                "delegated_from": tuple(data.get("delegated_from", ())),
            }
        )


class Attendance(Aggregate):
    """The replies of one attendee to one invite, newest reply per instance winning."""

    @staticmethod
    def create_id(invite: UUID, address: str, **_: Any) -> UUID:
        """Return the id derived from the invite and the attendee's address."""
        return attendance_id(invite, address)

    @event("Created")
    def __init__(self, invite: UUID, address: str, timestamp: datetime) -> None:
        self.invite = invite
        self.address = address
        self.replies: dict[str, Reply] = {}

    def record_reply(self, reply: Reply, now: datetime) -> Outcome:
        """Record a reply unless a newer one (by SEQUENCE, then its own DTSTAMP) is recorded.

        A DTSTAMP later than ``now`` (the arrival) plus :data:`CLOCK_SKEW` is taken as
        ``now``: a future DTSTAMP cannot lock an answer against the attendee's own later one.
        """
        if reply.dtstamp is not None and reply.dtstamp > now + CLOCK_SKEW:
            reply = replace(reply, dtstamp=now)
        current = self.replies.get(reply.key)
        if current is not None and current.order() == reply.order():
            return Outcome.DUPLICATE
        if current is not None and current.outranks(reply):
            return Outcome.STALE
        self._reply(reply=reply, timestamp=now)
        return Outcome.RSVP

    def partstat(
        self,
        sequence: int,
        recurrence_id: str | None = None,
        *,
        server_sequence: int | None = None,
    ) -> str | None:
        """Return the PARTSTAT that counts now, or None.

        A reply to the organizer's invite is measured against the organizer's ``sequence``
        (:attr:`Invite.sequence`); a reply to a copy the server sent, against
        ``server_sequence`` (the server SEQUENCE of the last significant REQUEST,
        ``Distribution.significant_from``) when it is known. Neither rises with the
        cancellation of a single instance.
        """
        reply = self.replies.get(recurrence_id or MASTER)
        if reply is None:
            return None
        threshold = sequence
        if reply.channel == "server" and server_sequence is not None:
            threshold = server_sequence
        return reply.partstat if reply.counts_for(threshold) else None

    @event("ReplyRecorded")
    def _reply(self, reply: Reply, timestamp: datetime) -> None:
        self.replies[reply.key] = reply
