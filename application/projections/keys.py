"""Where the views live, in domain words: typed partition keys and stream positions.

The projector and the reports name a partition by what it holds (an invite's items, an
organizer's listing, a domain's statistics...). How a store spells such a key is the store's
business (``adapters/readmodels/layout.py``), so the application never builds or parses one.

Keys are named tuples, not dataclasses: a rebuild hashes millions of them, and a tuple's
hash is the interpreter's own. Each ends with its ``kind``, so keys of two kinds with the same
fields never compare equal.

Sort keys stay plain strings: they are values the views are ordered by (a timestamp then the
invite, an address, a counter's name), and pagination cursors hand them out as they are.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, NamedTuple

# The sort keys of an invite's items, and of a stream's meta item (its only one).
SUMMARY = "summary"
DISTRIBUTION = "distribution"
META = ""


class Order(StrEnum):
    """How an organizer's invites are listed."""

    MODIFIED = "modified"  # newest change first
    START = "start"  # soonest start first


class Scope(StrEnum):
    """What a set of statistics counters is about."""

    INVITE = "invite"
    ORGANIZER = "organizer"
    DOMAIN = "domain"
    SYSTEM = "system"


class InviteItems(NamedTuple):
    """An invite's summary (``SUMMARY``) and the server's distribution (``DISTRIBUTION``)."""

    invite: str
    kind: Literal["invite-items"] = "invite-items"


class Attendees(NamedTuple):
    """An invite's attendee rows, by address."""

    invite: str
    kind: Literal["attendees"] = "attendees"


class AttendeeBucket(NamedTuple):
    """An invite's attendee rows of one counting bucket (see ``attendees.py``), by address.

    The index a status filter reads: a bucket's status is decided at read time, so the rows
    of one status are the union of the buckets that have it now.
    """

    invite: str
    bucket: str
    kind: Literal["attendee-bucket"] = "attendee-bucket"


class StreamMeta(NamedTuple):
    """What a distribution or delivery stream belongs to (one item, ``META``)."""

    stream: str
    kind: Literal["stream-meta"] = "stream-meta"


class OrganizerListing(NamedTuple):
    """An organizer's invite summaries, in ``order``."""

    organizer: str
    order: Order
    kind: Literal["organizer-listing"] = "organizer-listing"


class DomainListing(NamedTuple):
    """One shard of a domain's invite summaries, by last change."""

    domain: str
    shard: int
    kind: Literal["domain-listing"] = "domain-listing"


class SystemListing(NamedTuple):
    """One shard of every invite's summary, by last change (the administrators' listing)."""

    shard: int
    kind: Literal["system-listing"] = "system-listing"


class DomainOrganizers(NamedTuple):
    """One shard of a domain's organizers (those with an invite), by address."""

    domain: str
    shard: int
    kind: Literal["domain-organizers"] = "domain-organizers"


class SystemOrganizers(NamedTuple):
    """One shard of every organizer with an invite, by address."""

    shard: int
    kind: Literal["system-organizers"] = "system-organizers"


class OrganizerUpcoming(NamedTuple):
    """An organizer's invites not cancelled that have a start, by start."""

    organizer: str
    kind: Literal["organizer-upcoming"] = "organizer-upcoming"


class DomainUpcoming(NamedTuple):
    """One shard of a domain's invites not cancelled that have a start, by start."""

    domain: str
    shard: int
    kind: Literal["domain-upcoming"] = "domain-upcoming"


class Statistics(NamedTuple):
    """Counters about one invite or organizer, or one shard of a domain's or the system's.

    Counters every invite touches (a domain's, the system's) are sharded, so no single item
    takes every write; the others are not (:func:`statistics_problem` says which is which).
    """

    scope: Scope
    name: str = ""
    shard: int | None = None
    kind: Literal["statistics"] = "statistics"


def statistics_problem(key: Statistics) -> str | None:
    """Return what is wrong with ``key``'s name and shard for its scope, or None."""
    named = key.scope is not Scope.SYSTEM
    sharded = key.scope in (Scope.DOMAIN, Scope.SYSTEM)
    if bool(key.name) == named and (key.shard is not None) == sharded:
        return None
    return (
        f"{key.scope} statistics are {'' if named else 'un'}named and "
        f"{'' if sharded else 'un'}sharded: got {key.name!r}, shard {key.shard}"
    )


Partition = (
    InviteItems
    | Attendees
    | AttendeeBucket
    | StreamMeta
    | OrganizerListing
    | DomainListing
    | SystemListing
    | DomainOrganizers
    | SystemOrganizers
    | OrganizerUpcoming
    | DomainUpcoming
    | Statistics
)


class StreamPosition(NamedTuple):
    """How far one event stream (an aggregate) is projected."""

    stream: str
    kind: Literal["stream-position"] = "stream-position"


class LogPosition(NamedTuple):
    """How far an application's notification log is projected (the embedded runner's)."""

    log: str
    kind: Literal["log-position"] = "log-position"


class ViewsVersion(NamedTuple):
    """Which :data:`VIEWS_VERSION` a store's views were built with (one per store)."""

    kind: Literal["views-version"] = "views-version"


Position = StreamPosition | LogPosition | ViewsVersion

# Raised whenever the projector starts keeping a view that older stores lack, so that an
# existing store is rebuilt from the events (ProjectionRunner.run) instead of answering from
# views that miss everything projected before the upgrade.
# 2: the system listing, the organizer directories, the attendees by bucket.
VIEWS_VERSION = 2

# Counters named with this prefix count what no event records (reads of a subscription feed,
# uses of an add-to-calendar link): a rebuild of the views from the events could not restore
# them, so clearing a store for one keeps them (ReadModel.clear).
USAGE = "usage:"

# One item or counter: its partition and its sort key.
Key = tuple[Partition, str]


def ordered(value: str, invite: str) -> str:
    """Return the sort key of an invite in a listing ordered by ``value``.

    Ending with the invite makes it unique across shards, so "after the last key handed out"
    continues every shard of a listing at once.
    """
    return f"{value}#{invite}"
