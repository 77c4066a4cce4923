"""The "added via link" counters: people who added an invite to their calendar through one of
its add links (``application/links/calendar_links.py``), per calendar.

A click is no fact about the invite, and anyone may make any number of them: recorded as
events, they would grow the event log with the traffic of a public link. So each is one
unconditional counter increment in the read model, beside the invite's other statistics (a
GET that costs one small write, commutative, so never a conflict). Not derived from events,
they are usage counters (``keys.USAGE``): a rebuild of the views from scratch (``cis replay``,
a new ``VIEWS_VERSION``) keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from application.projections.keys import USAGE, Scope, Statistics
from application.projections.store import Batch, ReadModel

# The counters' names in the invite's statistics partition: "usage:added:<calendar>".
ADDED = USAGE + "added"


def count_added(store: ReadModel, invite: UUID, calendar: str) -> None:
    """Count one person who added ``invite`` through ``calendar``'s link."""
    key = (Statistics(Scope.INVITE, str(invite)), f"{ADDED}:{calendar}")
    store.commit(Batch(adds={key: 1}))


def added_via_link(counters: Mapping[str, int]) -> dict[str, int]:
    """Return the "added via link" counts by calendar among an invite's counters."""
    prefix = f"{ADDED}:"
    return {
        name.removeprefix(prefix): count
        for name, count in sorted(counters.items())
        if name.startswith(prefix) and count > 0
    }
