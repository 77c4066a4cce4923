"""Projects stored domain events onto the views, idempotently, stream by stream.

Each stream's events are applied in version order exactly once (its position is committed
with the changes it caused); streams are independent, so they may arrive in any interleaving.
Counters that every invite touches (domain and system statistics) are sharded by stream, so
no single item takes every write; they are summed when read.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import TopicError, get_topic, resolve_topic

from application.projections import events as ev
from application.projections.attendees import bucket_of, contributions, evolve_row, new_row
from application.projections.invites import NO_START, Summary, evolve_summary
from application.projections.keys import (
    DISTRIBUTION,
    META,
    SUMMARY,
    AttendeeBucket,
    Attendees,
    DomainListing,
    DomainOrganizers,
    DomainUpcoming,
    InviteItems,
    Key,
    Order,
    OrganizerListing,
    OrganizerUpcoming,
    Partition,
    Scope,
    Statistics,
    StreamMeta,
    StreamPosition,
    SystemListing,
    SystemOrganizers,
    ordered,
)
from application.projections.session import Views

DEFAULT_SHARDS = 8

Handler = Callable[["Projector", Views, DomainEvent, str], None]

# Events of projected streams that change no view: they only move the stream's position.
IGNORED: frozenset[ev.EventClass] = frozenset(
    {
        ev.INVITE_REFRESH_REQUESTED,
        ev.INVITE_SENDER_NOTED,
        ev.DELIVERY_FORWARDEE_ENROLLED,
        ev.DELIVERY_SEND_INTENDED,
        ev.DELIVERY_SEND_CLAIMED,
        ev.DELIVERY_CREATED,
        ev.DISTRIBUTION_UPDATE_HELD,
        ev.DISTRIBUTION_UPDATE_APPROVED,
        ev.DISTRIBUTION_ROSTER_PAGE_OPENED,
        ev.DISTRIBUTION_BULK_SEND_FINISHED,
        ev.DISTRIBUTION_CREATED,
    }
)


class Route(Enum):
    """What the projector does with a stored event, known from its topic alone."""

    PROJECT = "project"  # decode it and apply it to the views
    SKIP = "skip"  # move its stream's position without decoding it (see IGNORED)
    NONE = "none"  # not an event of any stream the views are made of


class UnknownEventError(Exception):
    """An event of a projected aggregate that the projector neither projects nor ignores."""


class OutOfOrderError(Exception):
    """A stream's event arrived before the one preceding it: deliver it again later."""


def shard_of(key: str, shards: int) -> int:
    """Return the counter shard of a view row (stable: the same row, the same shard)."""
    return zlib.crc32(key.encode()) % shards


class Projector:
    """Applies events to a session; commit the session to make them visible."""

    def __init__(
        self, shards: int = DEFAULT_SHARDS, *, counting: bool = True, remembering: bool = False
    ) -> None:
        """``counting=False`` leaves counters alone (a rebuild sums them once, with counts).

        ``remembering=True`` keeps each stream's name and key once spelled (a rebuild's
        projector, which sees every stream and lives no longer than the rebuild: a live one
        would remember every stream it ever saw).
        """
        self.shards = shards
        self.counting = counting
        # The system's counter shards, made once: every attendee row counts in one of them.
        self._system = [Statistics(Scope.SYSTEM, shard=shard) for shard in range(shards)]
        self._streams: dict[UUID | str, tuple[str, StreamPosition]] | None = (
            {} if remembering else None
        )
        self._routes: dict[str, Route] = {get_topic(cls): Route.PROJECT for cls in HANDLERS}
        self._routes |= {get_topic(cls): Route.SKIP for cls in IGNORED}

    def route(self, topic: str) -> Route:
        """Return what to do with a stored event of ``topic`` (each topic resolved once).

        A topic the registry does not name is resolved through eventsourcing (it may be an
        old name registered for a renamed class); one of a projected aggregate that is
        neither projected nor ignored raises UnknownEventError rather than being dropped.
        """
        route = self._routes.get(topic)
        if route is None:
            route = self._routes[topic] = _resolve(topic)
        return route

    def project(self, session: Views, event: DomainEvent) -> bool:
        """Apply ``event`` unless already applied; return whether it was applied.

        Raise OutOfOrderError when the stream's previous event has not been applied yet.
        """
        cls = type(event)
        handler = HANDLERS.get(cls)
        if handler is None and cls not in IGNORED:
            if _of_projected_aggregate(cls):
                raise UnknownEventError(_unknown(cls))
            return False  # not a stream any view is made of
        stream, position = self.stream(event.originator_id)
        version = int(event.originator_version)
        if not _due(session, position, version):
            return False
        if handler is not None:
            handler(self, session, event, stream)
        session.track(position, version)
        session.events += 1
        return True

    def stream(self, originator: UUID | str) -> tuple[str, StreamPosition]:
        """Return a stream's name and position key (remembered, if the projector does)."""
        if self._streams is None:
            name = str(originator)
            return name, StreamPosition(name)
        known = self._streams.get(originator)
        if known is None:
            name = str(originator)
            known = self._streams[originator] = (name, StreamPosition(name))
        return known

    def skip(self, session: Views, stream: str, version: int) -> bool:
        """Move a stream past an event no view uses (see IGNORED), without decoding it."""
        position = StreamPosition(stream)
        if not _due(session, position, version):
            return False
        session.track(position, version)
        session.events += 1
        return True

    # -- invites -------------------------------------------------------------------------

    def _invite(self, session: Views, event: DomainEvent, stream: str) -> None:
        pk = InviteItems(stream)
        old = session.get(pk, SUMMARY)
        new = evolve_summary(dict(old) if old is not None else None, event)
        if new is None or new == old:
            return
        session.put(pk, SUMMARY, new)
        before, after = self._indexed(old, stream), self._indexed(new, stream)
        for key in before.keys() - after.keys():
            session.delete(*key)
        for key, data in after.items():
            # Another invite of the organizer may have written the same directory entry.
            if before.get(key) != data and session.get(*key) != data:
                session.put(*key, data)
        if self.counting:
            self._count(session, self._totals(old, stream), self._totals(new, stream))

    def _indexed(self, summary: Mapping[str, Any] | None, stream: str) -> dict[Key, Summary]:
        if summary is None:
            return {}
        organizer, domain = summary["organizer"], summary["domain"]
        shard = shard_of(stream, self.shards)
        by_modified = ordered(summary["last_modified"], stream)
        by_start = ordered(summary["starts_at"], stream)
        data = dict(summary)
        # An organizer's directory entries are sharded by the organizer: each is one item,
        # whichever of their invites wrote it.
        listed = shard_of(organizer, self.shards)
        entry = {"organizer": organizer, "domain": domain}
        keys: dict[Key, Summary] = {
            (OrganizerListing(organizer, Order.MODIFIED), by_modified): data,
            (OrganizerListing(organizer, Order.START), by_start): data,
            (DomainListing(domain, shard), by_modified): data,
            (SystemListing(shard), by_modified): data,
            (DomainOrganizers(domain, listed), organizer): entry,
            (SystemOrganizers(listed), organizer): entry,
        }
        if summary["status"] != "cancelled" and summary["starts_at"] != NO_START:
            keys[(OrganizerUpcoming(organizer), by_start)] = data
            keys[(DomainUpcoming(domain, shard), by_start)] = data
        return keys

    def _totals(self, summary: Mapping[str, Any] | None, stream: str) -> dict[Key, int]:
        if summary is None:
            return {}
        shard = shard_of(stream, self.shards)
        counted = {
            "invites": 1,
            "cancelled": int(summary["status"] == "cancelled"),
            "updates": summary["update_count"],
            "counter_proposals": summary["counter_count"],
        }
        partitions = (
            Statistics(Scope.ORGANIZER, summary["organizer"]),
            Statistics(Scope.DOMAIN, summary["domain"], shard),
            Statistics(Scope.SYSTEM, shard=shard),
        )
        return {(pk, name): n for pk in partitions for name, n in counted.items()}

    @staticmethod
    def _count(
        session: Views,
        before: Mapping[Key, int],
        after: Mapping[Key, int],
    ) -> None:
        for (pk, sk), n in after.items():
            session.add(pk, sk, n - before.get((pk, sk), 0))
        for (pk, sk), n in before.items():
            if (pk, sk) not in after:
                session.add(pk, sk, -n)

    # -- distribution (the server's versions) --------------------------------------------

    def _opened(self, session: Views, event: DomainEvent, stream: str) -> None:
        session.put(StreamMeta(stream), META, {"invite": str(getattr(event, "invite"))})  # noqa: B009

    def _published(self, session: Views, event: DomainEvent, stream: str) -> None:
        facts = vars(event)
        meta = session.get(StreamMeta(stream), META)
        if meta is None:
            return
        pk = InviteItems(meta["invite"])
        current = session.get(pk, DISTRIBUTION) or {"sequence": 0, "significant_from": 0}
        # The same rule as Distribution: cancelling one instance is no significant change.
        moved = facts["significant"] and not facts.get("cancelled_instance")
        significant = facts["sequence"] if moved else current["significant_from"]
        session.put(
            pk, DISTRIBUTION, {"sequence": facts["sequence"], "significant_from": significant}
        )

    # -- attendees (deliveries and replies) ----------------------------------------------

    def _attendee(self, session: Views, event: DomainEvent, stream: str) -> None:
        facts = vars(event)
        meta = session.get(StreamMeta(stream), META)
        if meta is None:
            if "invite" not in facts or "address" not in facts:
                return
            meta = {"invite": str(facts["invite"]), "address": facts["address"]}
            session.put(StreamMeta(stream), META, meta)
        invite, address = meta["invite"], meta["address"]
        pk = Attendees(invite)
        old = session.get(pk, address)
        base = old if old is not None else new_row(invite, address)
        row = evolve_row(base, event)
        if row is base:  # the event changes nothing this row shows
            return
        session.put(pk, address, row)
        self._index(session, invite, address, old, row)
        if self.counting:
            self._count(
                session,
                self._row_counts(invite, address, old),
                self._row_counts(invite, address, row),
            )

    @staticmethod
    def _index(
        session: Views,
        invite: str,
        address: str,
        old: Mapping[str, Any] | None,
        row: Mapping[str, Any],
    ) -> None:
        """Keep the row listed under its bucket, and only there.

        The index holds keys only (a filtered page reads its rows from the invite's
        attendees), so only a change of bucket writes to it.
        """
        if old is not None and _same_bucket(old, row):
            return
        before, after = (bucket_of(old) if old is not None else None), bucket_of(row)
        if before == after:
            return
        if before is not None:
            session.delete(AttendeeBucket(invite, before), address)
        session.put(AttendeeBucket(invite, after), address, {})

    def _row_counts(
        self, invite: str, address: str, row: Mapping[str, Any] | None
    ) -> dict[Key, int]:
        counted = contributions(row)
        if row is None or not counted:
            return {}  # not a recipient: counted nowhere
        statistics = Statistics(Scope.INVITE, invite)
        keyed: dict[Key, int] = {(statistics, name): n for name, n in counted.items()}
        # Sharded by the row, not by the stream: two streams feed each row, and whichever
        # arrives first must count in the same place.
        system = self._system[shard_of(f"{invite}\n{address}", self.shards)]
        keyed[(system, "recipients")] = 1
        keyed[(system, "replied")] = int(row["reply"] is not None)
        keyed[(system, "bounced")] = int(row["bounced"])
        return keyed

    # -- counters from scratch -----------------------------------------------------------

    def counts(self, pk: Partition, sk: str, data: Mapping[str, Any]) -> dict[Key, int]:
        """Return the counters one view item contributes to (what the live path adds up
        event by event, so summing this over every item gives the same counters)."""
        if isinstance(pk, InviteItems) and sk == SUMMARY:
            return self._totals(data, pk.invite)
        if isinstance(pk, Attendees):
            return self._row_counts(pk.invite, sk, data)
        return {}


def _due(session: Views, position: StreamPosition, version: int) -> bool:
    """Return whether ``version`` is the stream's next event; raise if one is missing."""
    reached = session.position(position)
    if version <= reached:
        return False
    if version > reached + 1:
        msg = f"stream {position.stream}: version {version} arrived before {reached + 1}"
        raise OutOfOrderError(msg)
    return True


def _same_bucket(old: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """Return whether a row evolved from ``old`` is plainly in its bucket still (a send, a
    history entry): a cheap test before spelling either bucket, for most events."""
    return (
        old["reply"] is row["reply"]
        and old["recipient"] == row["recipient"]
        and old["bounced"] == row["bounced"]
    )


# The events each view is made of, by class: an event of a projected aggregate missing here
# and from IGNORED fails the coverage test (tests/unit/test_projection_coverage.py).
HANDLERS: dict[ev.EventClass, Handler] = {
    **dict.fromkeys(
        (
            ev.INVITE_CREATED,
            ev.INVITE_SCHEDULED,
            ev.INVITE_UPDATED,
            ev.INVITE_CANCELLED,
            ev.INVITE_INSTANCE_OVERRIDDEN,
            ev.INVITE_INSTANCE_CANCELLED,
            ev.INVITE_LATE_VERSION_RECORDED,
            ev.INVITE_COUNTER_PROPOSED,
        ),
        Projector._invite,
    ),
    ev.DISTRIBUTION_OPENED: Projector._opened,
    ev.DISTRIBUTION_VERSION_PUBLISHED: Projector._published,
    **dict.fromkeys(
        (
            ev.DELIVERY_INVITED,
            ev.DELIVERY_SENT,
            ev.DELIVERY_SEND_FAILED,
            ev.DELIVERY_BOUNCED,
            ev.ATTENDANCE_CREATED,
            ev.ATTENDANCE_REPLY_RECORDED,
        ),
        Projector._attendee,
    ),
}


def _of_projected_aggregate(cls: type) -> bool:
    return any(issubclass(cls, getattr(a, "Event")) for a in ev.PROJECTED_AGGREGATES)  # noqa: B009


def _unknown(cls: type) -> str:
    return f"{get_topic(cls)} is neither projected nor ignored by the projector"


def _resolve(topic: str) -> Route:
    """Route a topic the registry does not name, by the class eventsourcing resolves it to."""
    try:
        cls = resolve_topic(topic)
    except TopicError as error:
        # An event class renamed or removed: loud if it was a projected aggregate's (its
        # streams would stop short), else no view was made of it.
        owner = topic.rpartition(".")[0]
        if owner and ":" in owner and _resolves_to_projected(owner):
            raise UnknownEventError(f"{topic}: no such event class") from error
        return Route.NONE
    if cls in HANDLERS:
        return Route.PROJECT
    if cls in IGNORED:
        return Route.SKIP
    if isinstance(cls, type) and _of_projected_aggregate(cls):
        raise UnknownEventError(_unknown(cls))
    return Route.NONE


def _resolves_to_projected(topic: str) -> bool:
    try:
        return resolve_topic(topic) in ev.PROJECTED_AGGREGATES
    except TopicError:
        return False
