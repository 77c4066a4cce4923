"""Read use case: the RSVP report, one row per recipient the server sent an invite to.

The report is read from the views (the attendee rows the API pages), a page at a time, so
its cost per row and its memory do not grow with the invite. ``recipients`` (what ``cis
show`` and the web page's progress list) still reads each recipient's own streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.stores import Loader, ManyLoader, one_by_one, preloaded
from domain.attendance import Attendance, Reply
from domain.delivery import Delivery, delivery_id
from domain.distribution import Distribution, distribution_id
from domain.identity import attendance_id
from domain.invite import Invite
from domain.roster import RosterPage, roster_page_id
from domain.values import MASTER

if TYPE_CHECKING:  # the views' queries import this module's statuses
    from application.projections.queries import Reports

NO_ANSWER = "no answer"
BOUNCED = "bounced"

# First match wins, on the lower-cased PRODID. Mozilla's calendar (Lightning) ships inside
# Thunderbird; CALENDARSERVER.ORG is Apple's calendar server, which iCloud answers from. The
# server's own RSVP links answer as "Calendar Invite Server//web" (application/links/rsvp_links.py).
_CLIENT_FAMILIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("google",), "Google Calendar"),
    (("microsoft", "outlook", "exchange"), "Microsoft Outlook/Exchange"),
    (("apple inc", "calendarserver.org"), "Apple"),
    (("thunderbird", "mozilla"), "Thunderbird"),
    (("android",), "Android"),
    (("calendar invite server//web",), "Web link"),
)


@dataclass(frozen=True)
class ReportRow:
    """One recipient of an invite: who, how they came, and the answer that counts now."""

    address: str
    name: str | None
    origin: str
    status: str  # accepted | declined | tentative | delegated | no answer | bounced
    last_sequence_sent: int | None
    # The fields below describe the latest answer recorded, even one that no longer counts.
    replied_at: datetime | None
    client: str | None
    forwarded_by: str | None
    verified_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the report's column names and values, JSON-friendly, in column order."""
        return {
            "address": self.address,
            "name": self.name,
            "origin": self.origin,
            "status": self.status,
            "last_sequence_sent": self.last_sequence_sent,
            "replied_at": self.replied_at.isoformat() if self.replied_at else None,
            "client": self.client,
            "forwarded_by": self.forwarded_by,
            "verified_by": self.verified_by,
        }

    @classmethod
    def from_attendee(cls, attendee: Mapping[str, Any]) -> ReportRow:
        """Return the row of a recipient as the attendee listing shows them."""
        replied_at = attendee["replied_at"]
        return cls(
            address=attendee["address"],
            name=attendee["name"],
            origin=attendee["origin"],
            status=attendee["status"],
            last_sequence_sent=attendee["last_sequence_sent"],
            replied_at=datetime.fromisoformat(replied_at) if replied_at else None,
            client=attendee["client"],
            forwarded_by=attendee["forwarded_by"],
            verified_by=attendee["verified_by"],
        )


@lru_cache(maxsize=4096)
def client_family(prodid: str | None) -> str | None:
    """Return the calendar client family a PRODID names, or the PRODID itself if unknown."""
    # Cached: a rebuild asks once per reply, and a deployment sees only a few PRODIDs.
    text = (prodid or "").strip()
    if not text:
        return None
    lowered = text.lower()
    for needles, family in _CLIENT_FAMILIES:
        if any(needle in lowered for needle in needles):
            return family
    return text


@dataclass(frozen=True)
class RecipientView:
    """One recipient the server sent the invite to: the report's row, and what became of the
    newest version sent to them (``delivery``: sent, pending, failed or bounced)."""

    row: ReportRow
    delivery: str

    def as_dict(self) -> dict[str, Any]:
        """Return the report row's keys, then ``delivery``."""
        return {**self.row.as_dict(), "delivery": self.delivery}


def recipients(
    load: Loader, invite: Invite, load_many: ManyLoader | None = None
) -> list[RecipientView]:
    """Return every recipient of the invite with their answer and delivery state.

    Each roster page's deliveries, then their answers, are read together (``load_many``: one
    query each where the store can), since the web's sending page asks again every few
    seconds while someone watches it.
    """
    distribution = load(Distribution, distribution_id(invite.id))
    if distribution is None:
        return []
    many = load_many or one_by_one(load)
    found: list[RecipientView] = []
    for number in range(distribution.pages):
        page = load(RosterPage, roster_page_id(invite.id, number))
        streams = [delivery_id(token) for token in page.tokens] if page else []
        delivered = preloaded(load, streams, many(streams))
        deliveries = [d for d in (delivered(Delivery, s) for s in streams) if d is not None]
        answers = [attendance_id(invite.id, d.address) for d in deliveries]
        answered = preloaded(load, answers, many(answers))
        found += [
            RecipientView(
                _row(answered, invite, distribution.significant_from, d), _delivery_state(d)
            )
            for d in deliveries
        ]
    return found


def _delivery_state(delivery: Delivery) -> str:
    # A bounce comes after the newest send it answers; "superseded" is never the newest.
    if delivery.bounced is not None:
        return BOUNCED
    newest = max(delivery.attempts.values(), key=lambda a: a.sequence, default=None)
    return newest.status if newest is not None else "pending"


# Rows read from the views at a time: large enough that a query's own cost vanishes per
# row, small enough that a page is nothing beside the process.
PAGE = 1000


def rsvp_report(views: Reports, invite: UUID, *, page: int = PAGE) -> Iterator[ReportRow]:
    """Yield one row per recipient of the invite, by address, a page of views at a time."""
    # People never sent the invite (an answer that came before its send) are listed by the
    # views, but they are no recipients.
    for attendee in views.attendee_rows(invite, page=page):
        if attendee["recipient"]:
            yield ReportRow.from_attendee(attendee)


class RsvpReports:
    """The RSVP report of any invite, read from views first brought up to date.

    ``catch_up`` projects what was stored and not yet projected (where this process keeps
    the views; nothing where a change stream does), so a report shows the answer that
    arrived a moment ago.
    """

    def __init__(self, views: Reports, catch_up: Callable[[], object] | None = None) -> None:
        self.views = views
        self.catch_up = catch_up

    def rows(self, invite: UUID) -> Iterator[ReportRow]:
        """Return the invite's report rows, read lazily, by address."""
        if self.catch_up is not None:
            self.catch_up()
        return rsvp_report(self.views, invite)


def _row(load: Loader, invite: Invite, server_sequence: int, delivery: Delivery) -> ReportRow:
    stream = load(Attendance, attendance_id(invite.id, delivery.address))
    reply: Reply | None = stream.replies.get(MASTER) if stream else None
    counting = stream.partstat(invite.sequence, server_sequence=server_sequence) if stream else None
    last = delivery.last_sent
    return ReportRow(
        address=delivery.address,
        name=delivery.name or (reply.name if reply else None),
        origin=delivery.origin,
        status=_status(counting, delivery),
        last_sequence_sent=last.sequence if last else None,
        replied_at=reply.dtstamp if reply else None,
        client=client_family(reply.prodid) if reply else None,
        forwarded_by=reply.forwarded_by if reply else None,
        verified_by=reply.verified_by if reply else None,
    )


def _status(partstat: str | None, delivery: Delivery) -> str:
    # An answer that counts proves the invite arrived, so it outranks a later bounce.
    if partstat is not None and partstat.upper() != "NEEDS-ACTION":
        return partstat.lower()
    return BOUNCED if delivery.bounced is not None else NO_ANSWER
