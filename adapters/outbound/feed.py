"""Subscription feeds in iCalendar: each invite's VEVENTs written once, a feed spliced from them.

A feed is read every hour by every subscriber's calendar app and holds up to a thousand
invites, most unchanged since the last read: each invite's VEVENTs are serialized once per
version (the caller keeps them) and a feed is its head, one VTIMEZONE per TZID and those
bytes, joined.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from icalendar import Calendar, Event
from icalendar.prop import vText

from adapters.outbound.calendar import PRODID, events_of, timezone_window
from adapters.outbound.events import PERSONAL
from adapters.outbound.renderer import stamp_of
from adapters.outbound.text import calendar_text
from adapters.outbound.vtimezone import definitions_of, vtimezone
from adapters.zone_definitions import vtimezone_of
from application.feeds.ports import FeedEntry, FeedRenderer
from domain.outbound import OutboundInvite
from domain.values import Method

# How often subscribers are asked to read the feed again (RFC 7986 REFRESH-INTERVAL, and the
# X-PUBLISHED-TTL Outlook and Apple Calendar read): changes reach calendars within the hour.
REFRESH = timedelta(hours=1)
_END = b"END:VCALENDAR\r\n"


class IcalendarFeedRenderer(FeedRenderer):
    """Writes feeds with icalendar, from the same VEVENTs the invitations carry."""

    def entry(self, invite: OutboundInvite, stamp: datetime) -> FeedEntry:
        """Return the version's VEVENTs as published events: no ORGANIZER, no ATTENDEE."""
        events = events_of(invite, stamp_of(stamp))
        if not events:
            raise ValueError(f"invite {invite.invite} has nothing to show")
        for event in events:
            # The place the recipient's ORGANIZER (their reply address) and ATTENDEE go: a
            # feed is the same for everyone, so nobody's lines are written.
            del event[PERSONAL]
        written = b"".join(bytes(event.to_ical()) for event in events)
        defined = definitions_of(invite)
        first, last = timezone_window(events)
        zones = tuple((tzid, defined.get(tzid)) for tzid in sorted(_tzids(events)))
        return FeedEntry(events=written, zones=zones, first=first, last=last)

    def feed(self, name: str, entries: Sequence[FeedEntry]) -> bytes:
        """Return the feed: its head, one VTIMEZONE per TZID, then the entries' VEVENTs."""
        head = Calendar()
        head.add("PRODID", PRODID)
        head.add("VERSION", "2.0")
        head.add("CALSCALE", "GREGORIAN")
        head.add("METHOD", Method.PUBLISH.value)
        shown = calendar_text(" ".join(name.split())) or "Calendar"
        head.add("NAME", vText(shown))
        head.add("X-WR-CALNAME", vText(shown))
        head.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
        head.add("X-PUBLISHED-TTL", "PT1H")
        spans: dict[tuple[str, str | None], tuple[int, int]] = {}
        for entry in entries:
            for zone in entry.zones:
                low, high = spans.get(zone, (entry.first.year, entry.last.year))
                spans[zone] = (min(low, entry.first.year), max(high, entry.last.year))
        zones = b"".join(_zone(tzid, own, *spans[(tzid, own)]) for tzid, own in sorted(spans))
        opened = bytes(head.to_ical())
        events = b"".join(entry.events for entry in entries)
        return opened[: -len(_END)] + zones + events + _END


def _tzids(events: Sequence[Event]) -> set[str]:
    """Return the TZIDs the VEVENTs name: what they need a VTIMEZONE for."""
    holder = Calendar()
    holder.subcomponents.extend(events)
    return set(holder.get_used_tzids())


@lru_cache(maxsize=512)
def _zone(tzid: str, own: str | None, first: int, last: int) -> bytes:
    """Return the VTIMEZONE of ``tzid`` for the years ``first`` to ``last`` (or the
    organizer's own definition), serialized; b"" for a zone nothing defines."""
    found = vtimezone_of(own) if own is not None else vtimezone(tzid, first, last)
    return b"" if found is None else bytes(found.to_ical())


__all__ = ["REFRESH", "IcalendarFeedRenderer"]
