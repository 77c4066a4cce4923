"""How the stored read models spell the application's typed keys (SQLite and DynamoDB).

These strings are what existing view stores hold, so they must not change (a store written
with another spelling reads as empty until it is rebuilt):

==========================================  ==========================================
key                                         stored as
==========================================  ==========================================
``InviteItems(i)``                          ``invite#<i>``
``Attendees(i)``                            ``attendees#<i>``
``AttendeeBucket(i, b)``                    ``bucket#<i>#<b>`` (``i`` an invite id: no ``#``)
``StreamMeta(s)``                           ``stream#<s>``
``OrganizerListing(o, order)``              ``organizer#<o>#<order>`` (modified, start)
``DomainListing(d, n)``                     ``domain#<d>#modified#<n>``
``SystemListing(n)``                        ``system#modified#<n>``
``DomainOrganizers(d, n)``                  ``organizers#domain#<d>#<n>``
``SystemOrganizers(n)``                     ``organizers#system#<n>``
``OrganizerUpcoming(o)``                    ``upcoming#organizer#<o>``
``DomainUpcoming(d, n)``                    ``upcoming#domain#<d>#<n>``
``Statistics(INVITE | ORGANIZER, x)``       ``stats#invite#<x>``, ``stats#organizer#<x>``
``Statistics(DOMAIN, d, n)``                ``stats#domain#<d>#<n>``
``Statistics(SYSTEM, shard=n)``             ``stats#system#<n>``
``StreamPosition(s)``                       ``<s>`` (an aggregate id)
``LogPosition(name)``                       ``log#<name>``
``ViewsVersion()``                          ``views#version``
==========================================  ==========================================

Every spelling starts with its own prefix, and a free-form part (an organizer's address may
hold a ``#``) is either last or followed only by fields parsed from the right, so each
string decodes to exactly one key.
"""

from __future__ import annotations

from typing import assert_never

from application.projections.keys import (
    AttendeeBucket,
    Attendees,
    DomainListing,
    DomainOrganizers,
    DomainUpcoming,
    InviteItems,
    LogPosition,
    Order,
    OrganizerListing,
    OrganizerUpcoming,
    Partition,
    Position,
    Scope,
    Statistics,
    StreamMeta,
    StreamPosition,
    SystemListing,
    SystemOrganizers,
    ViewsVersion,
    statistics_problem,
)

_LOG = "log#"
_VIEWS_VERSION = "views#version"


def partition(key: Partition) -> str:
    """Return the stored partition key of ``key``."""
    match key:
        case InviteItems(invite):
            return f"invite#{invite}"
        case Attendees(invite):
            return f"attendees#{invite}"
        case AttendeeBucket(invite, bucket):
            return f"bucket#{invite}#{bucket}"
        case StreamMeta(stream):
            return f"stream#{stream}"
        case OrganizerListing(organizer, order):
            return f"organizer#{organizer}#{order.value}"
        case DomainListing(domain, shard):
            return f"domain#{domain}#modified#{shard}"
        case SystemListing(shard):
            return f"system#modified#{shard}"
        case DomainOrganizers(domain, shard):
            return f"organizers#domain#{domain}#{shard}"
        case SystemOrganizers(shard):
            return f"organizers#system#{shard}"
        case OrganizerUpcoming(organizer):
            return f"upcoming#organizer#{organizer}"
        case DomainUpcoming(domain, shard):
            return f"upcoming#domain#{domain}#{shard}"
        case Statistics(scope, name, shard):
            _check(key)
            if scope is Scope.DOMAIN:
                return f"stats#domain#{name}#{shard}"
            if scope is Scope.SYSTEM:
                return f"stats#system#{shard}"
            return f"stats#{scope.value}#{name}"  # an invite's or an organizer's: unsharded
        case _:
            assert_never(key)


def parse_partition(stored: str) -> Partition:
    """Return the key a stored partition key spells; raise ValueError if it spells none."""
    kind, _, rest = stored.partition("#")
    if kind == "invite":
        return InviteItems(rest)
    if kind == "attendees":
        return Attendees(rest)
    if kind == "bucket":
        invite, hash_, bucket = rest.partition("#")
        if hash_:
            return AttendeeBucket(invite, bucket)
    elif kind == "stream":
        return StreamMeta(rest)
    elif kind == "system":
        order, _, shard = rest.partition("#")
        if order == Order.MODIFIED.value:
            return SystemListing(_shard(shard))
    elif kind == "organizers":
        return _organizers(rest)
    elif kind == "organizer":
        organizer, _, order = rest.rpartition("#")
        return OrganizerListing(organizer, Order(order))
    elif kind == "domain":
        head, _, shard = rest.rpartition("#")
        domain, _, modified = head.rpartition("#")
        if modified == Order.MODIFIED.value:
            return DomainListing(domain, _shard(shard))
    elif kind == "upcoming":
        scope, _, owner = rest.partition("#")
        if scope == Scope.ORGANIZER.value:
            return OrganizerUpcoming(owner)
        if scope == Scope.DOMAIN.value:
            domain, _, shard = owner.rpartition("#")
            return DomainUpcoming(domain, _shard(shard))
    elif kind == "stats":
        return _statistics(rest)
    raise ValueError(f"{stored!r} is no read-model partition key")


def _organizers(rest: str) -> Partition:
    scope, _, named = rest.partition("#")
    if scope == Scope.SYSTEM.value:
        return SystemOrganizers(_shard(named))
    if scope == Scope.DOMAIN.value:
        domain, _, shard = named.rpartition("#")
        return DomainOrganizers(domain, _shard(shard))
    raise ValueError(f"organizers#{rest!r} is no read-model partition key")


def _check(key: Statistics) -> Statistics:
    problem = statistics_problem(key)
    if problem is not None:
        raise ValueError(problem)
    return key


def _statistics(rest: str) -> Statistics:
    scope, _, named = rest.partition("#")
    if scope in (Scope.INVITE.value, Scope.ORGANIZER.value):
        return _check(Statistics(Scope(scope), named))
    if scope == Scope.DOMAIN.value:
        domain, _, shard = named.rpartition("#")
        return _check(Statistics(Scope.DOMAIN, domain, _shard(shard)))
    if scope == Scope.SYSTEM.value:
        return _check(Statistics(Scope.SYSTEM, shard=_shard(named)))
    raise ValueError(f"stats#{rest!r} is no read-model partition key")


def _shard(text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{text!r} is no shard number")
    return int(text)


def position(key: Position) -> str:
    """Return the stored name of a stream's or a log's position."""
    match key:
        case StreamPosition(stream):
            return stream
        case LogPosition(log):
            return _LOG + log
        case ViewsVersion():
            return _VIEWS_VERSION
        case _:
            assert_never(key)


def parse_position(stored: str) -> Position:
    """Return the position a stored name spells (aggregate ids never start with ``log#``
    nor are ``views#version``)."""
    if stored == _VIEWS_VERSION:
        return ViewsVersion()
    if stored.startswith(_LOG):
        return LogPosition(stored.removeprefix(_LOG))
    return StreamPosition(stored)
