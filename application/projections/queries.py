"""Reading the views: every answer is key lookups and ordered ranges, never a scan."""

from __future__ import annotations

import base64
import binascii
import heapq
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.projections.attendees import BUCKET, UNANSWERED, bucket_status, row_status
from application.projections.feed_reads import feed_reads
from application.projections.keys import (
    DISTRIBUTION,
    SUMMARY,
    AttendeeBucket,
    Attendees,
    DomainListing,
    DomainOrganizers,
    DomainUpcoming,
    InviteItems,
    Order,
    OrganizerListing,
    OrganizerUpcoming,
    Partition,
    Scope,
    Statistics,
    SystemListing,
    SystemOrganizers,
)
from application.projections.link_uses import added_via_link
from application.projections.projector import DEFAULT_SHARDS
from application.projections.store import Item, ReadModel
from application.reading.report import BOUNCED, NO_ANSWER

STATUSES = ("accepted", "declined", "tentative", "delegated", NO_ANSWER, BOUNCED)
MAX_PAGE = 200


class InvalidCursorError(ValueError):
    """A pagination cursor that this server did not hand out."""


@dataclass(frozen=True)
class Page:
    """One page of a list, and the opaque cursor of the next (None on the last page)."""

    items: list[dict[str, Any]]
    cursor: str | None


def encode_cursor(sort_key: str) -> str:
    """Return the opaque cursor that continues after ``sort_key``."""
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """Return the sort key a cursor continues after; raise InvalidCursorError if malformed."""
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidCursorError("the cursor is not one this server handed out") from error


class Reports:
    """The dashboards' reads over a read model."""

    def __init__(self, store: ReadModel, shards: int = DEFAULT_SHARDS) -> None:
        self.store = store
        self.shards = shards

    # -- one invite ----------------------------------------------------------------------

    def invite(self, invite: UUID) -> dict[str, Any] | None:
        """Return the invite's summary, or None."""
        item = self.store.get(InviteItems(str(invite)), SUMMARY)
        return dict(item.data) if item else None

    def thresholds(self, invite: UUID, summary: Mapping[str, Any]) -> tuple[int, int | None]:
        """Return the SEQUENCEs replies must reach: the organizer's, and the server's."""
        distribution = self.store.get(InviteItems(str(invite)), DISTRIBUTION)
        server = distribution.data["significant_from"] if distribution else None
        return int(summary["sequence"]), server

    def statistics(self, invite: UUID) -> dict[str, Any] | None:
        """Return who was invited, by status, by origin and by replying client."""
        summary = self.invite(invite)
        if summary is None:
            return None
        organizer_sequence, server_sequence = self.thresholds(invite, summary)
        by_status: Counter[str] = Counter(dict.fromkeys(STATUSES, 0))
        by_origin: Counter[str] = Counter()
        by_client: Counter[str] = Counter()
        counters = self.store.counters(Statistics(Scope.INVITE, str(invite)))
        for name, count in counters.items():
            kind, _, value = name.partition(":")
            if kind == "bucket":
                by_status[bucket_status(value, organizer_sequence, server_sequence)] += count
            elif kind == "origin":
                by_origin[value] += count
            elif kind == "client":
                by_client[value] += count
        return {
            "invite": str(invite),
            "invited": sum(by_origin.values()),
            "by_status": _positive(by_status, keep=STATUSES),
            "by_origin": _positive(by_origin),
            "by_client": _positive(by_client),
            # Not among the invited: they gave no address and are sent nothing.
            "added_via_link": added_via_link(counters),
            "sequence": summary["sequence"],
            "update_count": summary["update_count"],
        }

    def attendees(
        self,
        invite: UUID,
        cursor: str | None = None,
        limit: int = 50,
        *,
        status: str | None = None,
        prefix: str | None = None,
    ) -> Page:
        """Return a page of the invite's attendees, by address, with their status now.

        ``status`` keeps those of one status (one of STATUSES): the rows of every bucket
        that has it under the invite's current thresholds, merged in address order; only
        buckets the counters say are not empty are read. ``prefix`` keeps addresses that
        start with it (a range of each partition, never the whole invite).
        """
        if status is not None and status not in STATUSES:
            raise ValueError(f"status is one of {', '.join(STATUSES)}")
        summary = self.invite(invite)
        if summary is None:
            return Page([], None)
        thresholds = self.thresholds(invite, summary)
        partitions: list[Partition] = (
            [Attendees(str(invite))]
            if status is None
            else [AttendeeBucket(str(invite), b) for b in self._buckets(invite, status, thresholds)]
        )
        limit = _bounded(limit)
        after = decode_cursor(cursor)
        ranges = [
            self.store.query(pk, after=after, limit=limit + 1, prefix=prefix or None)
            for pk in partitions
        ]
        # Each address is in exactly one bucket, so the merged sort keys are unique.
        items = list(heapq.merge(*ranges, key=lambda i: i.sk))[: limit + 1]
        shown = items[:limit]
        if status is not None:  # the buckets hold keys: read those rows, and only those
            shown = self.store.get_many(Attendees(str(invite)), [item.sk for item in shown])
        rows = [_attendee(item.data, row_status(item.data, *thresholds)) for item in shown]
        return Page(rows, encode_cursor(items[limit - 1].sk) if len(items) > limit else None)

    def attendee_rows(self, invite: UUID, *, page: int = 1000) -> Iterator[dict[str, Any]]:
        """Yield every attendee of the invite as :meth:`attendees` lists them, by address,
        reading ``page`` rows at a time (what a report streams: nothing is held but a page).

        The statuses are those under the thresholds when the first page is read, so one
        report never mixes two versions' counting.
        """
        summary = self.invite(invite)
        if summary is None:
            return
        thresholds = self.thresholds(invite, summary)
        partition, after = Attendees(str(invite)), None
        while True:
            items = self.store.query(partition, after=after, limit=page)
            for item in items:
                yield _attendee(item.data, row_status(item.data, *thresholds))
            if len(items) < page:
                return
            after = items[-1].sk
            del items  # the next page is read with this one let go, not beside it

    def _buckets(self, invite: UUID, status: str, thresholds: tuple[int, int | None]) -> list[str]:
        """Return the buckets of the invite's rows that have ``status`` now."""
        counters = self.store.counters(Statistics(Scope.INVITE, str(invite)))
        buckets = {
            name.removeprefix(BUCKET)
            for name, n in counters.items()
            if name.startswith(BUCKET) and n > 0
        }
        # Rows of people never sent the invite are counted nowhere, but listed (no answer).
        buckets.add(UNANSWERED)
        return sorted(b for b in buckets if bucket_status(b, *thresholds) == status)

    # -- organizers, domains, the system -------------------------------------------------

    def organizer_invites(
        self, organizer: str, *, sort: str = "modified", cursor: str | None = None, limit: int = 50
    ) -> Page:
        """Return an organizer's invites, newest change first or soonest start first."""
        try:
            order = Order(sort)
        except ValueError:
            raise ValueError("sort is 'modified' or 'start'") from None
        return self._page(
            [OrganizerListing(organizer, order)], cursor, limit, descending=order is Order.MODIFIED
        )

    def upcoming(
        self,
        *,
        now: datetime,
        organizer: str | None = None,
        domain: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page:
        """Return invites not cancelled that start after ``now``, soonest first."""
        if (organizer is None) == (domain is None):
            raise ValueError("name an organizer or a domain")
        partitions: list[Partition] = (
            [OrganizerUpcoming(organizer)]
            if organizer is not None
            else [DomainUpcoming(str(domain), shard) for shard in range(self.shards)]
        )
        floor = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._page(partitions, cursor, limit, descending=False, floor=floor)

    def domain_invites(self, domain: str, cursor: str | None = None, limit: int = 50) -> Page:
        """Return every invite of a domain's organizers, newest change first."""
        partitions: list[Partition] = [DomainListing(domain, s) for s in range(self.shards)]
        return self._page(partitions, cursor, limit, descending=True)

    def all_invites(self, cursor: str | None = None, limit: int = 50) -> Page:
        """Return every invite of every organizer, newest change first."""
        partitions: list[Partition] = [SystemListing(s) for s in range(self.shards)]
        return self._page(partitions, cursor, limit, descending=True)

    def organizers(
        self, domain: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> Page:
        """Return the organizers with an invite, by address: everyone's, or one domain's.

        Each item is ``{"organizer": address, "domain": domain}``.
        """
        partitions: list[Partition] = (
            [SystemOrganizers(s) for s in range(self.shards)]
            if domain is None
            else [DomainOrganizers(domain, s) for s in range(self.shards)]
        )
        return self._page(partitions, cursor, limit, descending=False)

    def organizer_statistics(self, organizer: str) -> dict[str, Any]:
        """Return an organizer's totals: invites, cancelled, updates, counter proposals."""
        counters = self.store.counters(Statistics(Scope.ORGANIZER, organizer))
        return {
            "organizer": organizer,
            **_totals([counters]),
            "feed_reads": feed_reads([counters]),
        }

    def domain_statistics(self, domain: str) -> dict[str, Any]:
        """Return a domain's totals, summed over its shards."""
        shards = [
            self.store.counters(Statistics(Scope.DOMAIN, domain, s)) for s in range(self.shards)
        ]
        return {"domain": domain, **_totals(shards), "feed_reads": feed_reads(shards)}

    def system_statistics(self) -> dict[str, Any]:
        """Return the whole system's totals, summed over the shards."""
        shards = [
            self.store.counters(Statistics(Scope.SYSTEM, shard=s)) for s in range(self.shards)
        ]
        names = ("recipients", "replied", "bounced")
        return _totals(shards, names)

    def _page(
        self,
        partitions: list[Partition],
        cursor: str | None,
        limit: int,
        *,
        descending: bool,
        floor: str | None = None,
    ) -> Page:
        # Sort keys end with the invite id, so they are unique across shards and "after the
        # last key handed out" continues every shard at once.
        limit = _bounded(limit)
        mark = decode_cursor(cursor)
        after = max(filter(None, (mark, floor)), default=None) if not descending else None
        before = mark if descending else None
        ranges = [
            self.store.query(pk, after=after, before=before, limit=limit + 1, descending=descending)
            for pk in partitions
        ]
        merged = list(heapq.merge(*ranges, key=lambda i: i.sk, reverse=descending))[: limit + 1]
        items = [dict(item.data) for item in merged[:limit]]
        return Page(items, encode_cursor(merged[limit - 1].sk) if len(merged) > limit else None)


def _attendee(row: Mapping[str, Any], status: str) -> dict[str, Any]:
    reply = row["reply"] or {}
    return {
        "address": row["address"],
        "name": row["name"] or reply.get("name"),
        "recipient": row["recipient"],
        "origin": row["origin"],
        "status": status,
        "last_sequence_sent": row["last_sequence_sent"],
        "replied_at": reply.get("at"),
        "client": reply.get("client"),
        "forwarded_by": reply.get("forwarded_by"),
        "verified_by": reply.get("verified_by"),
        "history": list(row["history"]),
    }


def _totals(
    shards: Iterable[Mapping[str, int]],
    names: tuple[str, ...] = (),
) -> dict[str, int]:
    summed: Counter[str] = Counter()
    for counters in shards:
        summed.update(counters)
    wanted = ("invites", "cancelled", "updates", "counter_proposals", *names)
    totals = {name: summed.get(name, 0) for name in wanted}
    totals["active"] = totals["invites"] - totals["cancelled"]
    return totals


def _positive(counts: Mapping[str, int], keep: Iterable[str] = ()) -> dict[str, int]:
    kept = set(keep)
    return {k: v for k, v in sorted(counts.items()) if v > 0 or k in kept}


def _bounded(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


__all__ = ["InvalidCursorError", "Item", "Page", "Reports"]
