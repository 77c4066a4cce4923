"""What the feeds flow needs from a calendar writer: one invite's VEVENTs, then a whole feed."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain.outbound import OutboundInvite


@dataclass(frozen=True)
class FeedEntry:
    """One invite as a feed carries it, rendered once and kept while the invite is unchanged.

    ``events`` are the serialized VEVENTs (CRLF lines, folded); ``zones`` the TZIDs they use,
    each with the organizer's own definition where IANA has none (else None); ``first`` and
    ``last`` the dates the VTIMEZONEs must cover for them.
    """

    events: bytes
    zones: tuple[tuple[str, str | None], ...]
    first: date
    last: date


class FeedRenderer(ABC):
    """Writes subscription feeds: METHOD:PUBLISH calendars of many invites, nobody invited."""

    @abstractmethod
    def entry(self, invite: OutboundInvite, stamp: datetime) -> FeedEntry:
        """Return the version's VEVENTs without ORGANIZER or ATTENDEE, DTSTAMP ``stamp``.

        They keep the server UID and SEQUENCE, so a subscriber who also received the
        invitation sees one event. Raise ValueError for a version with nothing to show.
        """

    @abstractmethod
    def feed(self, name: str, entries: Sequence[FeedEntry]) -> bytes:
        """Return the feed: METHOD:PUBLISH, its name, refresh hints, one VTIMEZONE per TZID
        (covering every entry's dates), then every entry's VEVENTs in the order given."""
