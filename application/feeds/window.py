"""Which invites a feed serves: upcoming and recent ones, read from the views.

An event stays while it started less than :data:`RECENT` ago (so yesterday's meeting is still
there to look back on) or changed less than that ago (a running series that moved); a
cancelled one stays :data:`RECENT` after its cancellation, as ``STATUS:CANCELLED``, so every
subscriber's calendar drops it, then leaves. At most :data:`MAX_EVENTS`, soonest first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from application.projections.invites import NO_START
from application.projections.queries import Page, Reports

RECENT = timedelta(days=30)
# A calendar app reads the whole feed every hour: bounded, like every other answer.
MAX_EVENTS = 1000
# Recently changed invites are read newest first until one is older than RECENT, at most this
# many: what the upcoming listing misses (cancellations, series that began long ago).
MAX_RECENT_CHANGES = 500
_PAGE = 200  # the views' largest page

Summary = Mapping[str, Any]
# Reads one page of a listing after a cursor (None: the first).
_Reader = Callable[[str | None], Page]


def in_window(summary: Summary, now: datetime) -> bool:
    """Return whether a feed read at ``now`` shows the invite of ``summary``."""
    if summary.get("starts_at", NO_START) == NO_START:
        return False  # a calendar cannot place an event without a start
    changed = str(summary["last_modified"]) >= _modified_key(now - RECENT)
    if summary["status"] == "cancelled":
        return changed
    return changed or str(summary["starts_at"]) >= _start_key(now - RECENT)


def chosen(summaries: Iterable[Summary], now: datetime) -> list[Summary]:
    """Return the summaries a feed shows: once each, in the window, soonest first, bounded."""
    unique = {str(s["invite"]): s for s in summaries}
    shown = [s for s in unique.values() if in_window(s, now)]
    shown.sort(key=lambda s: (str(s["starts_at"]), str(s["invite"])))
    return shown[:MAX_EVENTS]


def organizer_candidates(views: Reports, organizer: str, now: datetime) -> list[Summary]:
    """Return the organizer's invites that may be in the window (``chosen`` decides)."""
    upcoming = _pages(
        lambda cursor: views.upcoming(
            now=now - RECENT, organizer=organizer, cursor=cursor, limit=_PAGE
        ),
        MAX_EVENTS,
    )
    changed = _recent(
        lambda cursor: views.organizer_invites(organizer, cursor=cursor, limit=_PAGE), now
    )
    return [*upcoming, *changed]


def domain_candidates(views: Reports, domain: str, now: datetime) -> list[Summary]:
    """Return the domain's invites that may be in the window (``chosen`` decides)."""
    upcoming = _pages(
        lambda cursor: views.upcoming(now=now - RECENT, domain=domain, cursor=cursor, limit=_PAGE),
        MAX_EVENTS,
    )
    changed = _recent(lambda cursor: views.domain_invites(domain, cursor=cursor, limit=_PAGE), now)
    return [*upcoming, *changed]


def _recent(read: _Reader, now: datetime) -> Iterator[Summary]:
    """Yield the newest changes first, until one is older than RECENT (or enough are read)."""
    floor = _modified_key(now - RECENT)
    for summary in _pages(read, MAX_RECENT_CHANGES):
        if str(summary["last_modified"]) < floor:
            return
        yield summary


def _pages(read: _Reader, most: int) -> Iterator[Summary]:
    cursor: str | None = None
    count = 0
    while True:
        page = read(cursor)
        for item in page.items:
            if count >= most:
                return
            count += 1
            yield item
        if page.cursor is None:
            return
        cursor = page.cursor


def _start_key(moment: datetime) -> str:
    # As the views spell starts (application/projections/invites.start_key).
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _modified_key(moment: datetime) -> str:
    # As the views spell last changes (application/projections/invites._iso).
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
