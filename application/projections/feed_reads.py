"""How often subscription feeds are read: counters beside the statistics, by feed kind.

A feed is read by a calendar app every hour or so, so a read adds to one counter and writes
nothing else: no event is stored for it. They are usage counters (``keys.USAGE``), which a
rebuild of the views (``cis replay``) keeps, since no event could rebuild them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from application.projections.keys import USAGE, Key, Scope, Statistics

_PREFIX = USAGE + "feed_reads:"


def feed_read_counter(kind: str, organizer: str | None, domain: str, shard: int) -> Key:
    """Return the counter a read of a feed of ``kind`` adds to: the organizer's (their own
    feeds and audiences) or one shard of the domain's (a domain's feed)."""
    if organizer is not None:
        return Statistics(Scope.ORGANIZER, organizer), _PREFIX + kind
    return Statistics(Scope.DOMAIN, domain, shard), _PREFIX + kind


def feed_reads(shards: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Return the feed reads counted in ``shards``' counters, by feed kind."""
    summed: Counter[str] = Counter()
    for counters in shards:
        summed.update({k[len(_PREFIX) :]: n for k, n in counters.items() if k.startswith(_PREFIX)})
    return dict(sorted(summed.items()))
