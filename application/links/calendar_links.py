"""Use case: an invite's "add to calendar" links for Google Calendar, Outlook.com, Office 365
and Yahoo, beside its signed calendar file, and the counting of the people who use them.

Each web calendar takes the event in its own query string (none of them is documented; the
parameter names are those the add-to-calendar tools in use write). Times go as UTC instants
(``Z``) computed from the invite's start and end, which the parser already placed in their
zone, custom VTIMEZONEs included; all-day events as dates with the exclusive end RFC 5545
gives them; floating times as wall-clock times, which every one of them reads in the
visitor's own zone. URLs longer than browsers and mail clients reliably keep lose the end of
the description instead, with a pointer to where the whole of it is.

People who use a link are counted as "added via link" per calendar, never as invited
recipients: they gave no address, and nothing is sent to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, urlencode
from uuid import UUID

from application.links.downloads import published_version
from application.projections.link_uses import count_added
from application.projections.store import ReadModel
from application.stores import Loader, VersionLoader
from domain.invite import Invite
from domain.values import EventDetails, Method


class Provider(StrEnum):
    """Where an "add to calendar" link adds the event."""

    GOOGLE = "google"
    OUTLOOK = "outlook"  # Outlook.com: personal Microsoft accounts
    OFFICE365 = "office365"  # Outlook on the web for work and school accounts
    YAHOO = "yahoo"
    ICS = "ics"  # the signed calendar file, for every other calendar


# The calendars whose links carry the event in their query string, in the order pages list them.
WEB_CALENDARS = (Provider.GOOGLE, Provider.OUTLOOK, Provider.OFFICE365, Provider.YAHOO)
LABELS = {
    Provider.GOOGLE: "Google Calendar",
    Provider.OUTLOOK: "Outlook.com",
    Provider.OFFICE365: "Office 365",
    Provider.YAHOO: "Yahoo Calendar",
    Provider.ICS: "Apple Calendar, Outlook and others (.ics file)",
}
# The longest URL handed out: Internet Explorer's limit, still what mail clients, chat apps and
# link shorteners are known to keep whole; the description gives way first.
MAX_URL = 2000

_GOOGLE = "https://calendar.google.com/calendar/render"
_OUTLOOK = "https://outlook.live.com/calendar/0/action/compose"
_OFFICE365 = "https://outlook.office.com/calendar/0/action/compose"
_YAHOO = "https://calendar.yahoo.com/"


class NoCalendarLinkError(LookupError):
    """The invite has nothing to add to a calendar: cancelled, or no start time."""


@dataclass(frozen=True)
class Span:
    """When the event is, as the web calendars take it.

    ``start`` and ``end`` are dates (all day: the end excluded), aware UTC datetimes, or naive
    wall-clock datetimes for floating times.
    """

    start: date | datetime
    end: date | datetime
    all_day: bool

    @property
    def floating(self) -> bool:
        """Return whether the times belong to no zone (read in the visitor's own)."""
        return isinstance(self.start, datetime) and self.start.tzinfo is None


def span_of(details: EventDetails) -> Span | None:
    """Return when the event is; None without a readable start."""
    start = _moment(details.start)
    if start is None:
        return None
    end = _moment(details.end)
    if not isinstance(start, datetime):
        # RFC 5545: a DATE start without an end lasts the one day.
        stop = end if isinstance(end, date) and not isinstance(end, datetime) else None
        return Span(start, stop if stop and stop > start else start + timedelta(days=1), True)
    if not isinstance(end, datetime) or (end.tzinfo is None) != (start.tzinfo is None):
        end = start  # RFC 5545: a DATE-TIME start without an end ends when it starts
    if start.tzinfo is not None:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    return Span(start, max(start, end), False)


def _moment(text: str | None) -> date | datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


def web_links(details: EventDetails, *, more: str | None) -> dict[Provider, str]:
    """Return the links that add the event to each web calendar ({} without a start).

    ``more`` is where the whole description can be read, named at the end of one cut short.
    """
    span = span_of(details)
    if span is None:
        return {}
    return {provider: _BUILDERS[provider](details, span, more) for provider in WEB_CALENDARS}


def _google(details: EventDetails, span: Span, more: str | None) -> str:
    def build(text: str) -> str:
        params = {
            "action": "TEMPLATE",
            "text": details.summary or "",
            "dates": f"{_compact(span.start)}/{_compact(span.end)}",
            "details": text,
            "location": details.location or "",
        }
        # The event's own zone keeps a series at its wall-clock time across DST changes (the
        # instants stay UTC); only an IANA name means anything to Google.
        if details.timezone and details.zone_definition is None and not span.all_day:
            params["ctz"] = details.timezone
        if details.rrule:
            params["recur"] = f"RRULE:{details.rrule}"
        return _url(_GOOGLE, params)

    return _bounded(build, details.description or "", more)


def _outlook(base: str) -> Callable[[EventDetails, Span, str | None], str]:
    def link(details: EventDetails, span: Span, more: str | None) -> str:
        def build(text: str) -> str:
            return _url(
                base,
                {
                    "path": "/calendar/action/compose",
                    "rru": "addevent",
                    "subject": details.summary or "",
                    "startdt": _extended(span.start),
                    "enddt": _extended(span.end),
                    "allday": "true" if span.all_day else "false",
                    "body": text,
                    "location": details.location or "",
                },
            )

        return _bounded(build, details.description or "", more)

    return link


def _yahoo(details: EventDetails, span: Span, more: str | None) -> str:
    def build(text: str) -> str:
        params = {"v": "60", "title": details.summary or "", "st": _compact(span.start)}
        if span.all_day:
            last = span.end - timedelta(days=1)  # Yahoo names the last day, not the one after
            if last > span.start:
                params["et"] = _compact(last)
            params["dur"] = "allday"
        else:
            params["et"] = _compact(span.end)
        return _url(_YAHOO, {**params, "desc": text, "in_loc": details.location or ""})

    return _bounded(build, details.description or "", more)


_BUILDERS: dict[Provider, Callable[[EventDetails, Span, str | None], str]] = {
    Provider.GOOGLE: _google,
    Provider.OUTLOOK: _outlook(_OUTLOOK),
    Provider.OFFICE365: _outlook(_OFFICE365),
    Provider.YAHOO: _yahoo,
}


def _compact(moment: date | datetime) -> str:
    """Return 20250310 (a date), 20250310T090000Z (UTC) or 20250310T100000 (floating)."""
    if not isinstance(moment, datetime):
        return moment.strftime("%Y%m%d")
    return moment.strftime("%Y%m%dT%H%M%S") + ("Z" if moment.tzinfo is not None else "")


def _extended(moment: date | datetime) -> str:
    """Return 2025-03-10, 2025-03-10T09:00:00Z (UTC) or 2025-03-10T10:00:00 (floating)."""
    if not isinstance(moment, datetime):
        return moment.isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if moment.tzinfo is not None else "")


def _url(base: str, params: dict[str, str]) -> str:
    # %20, never "+": Outlook shows a "+" for each space written the form way.
    return f"{base}?{urlencode(params, quote_via=quote, safe='')}"


def _bounded(build: Callable[[str], str], text: str, more: str | None) -> str:
    """Return ``build(text)``, or with the end of ``text`` cut to keep within MAX_URL."""
    whole = build(text)
    if len(whole) <= MAX_URL:
        return whole
    tail = f"…\n\nThe whole description: {more}" if more else "…"
    room = MAX_URL - len(build(tail))
    kept, used = 0, 0
    for character in text:
        size = len(quote(character, safe=""))
        if used + size > room:
            break
        used += size
        kept += 1
    return build(text[:kept].rstrip() + tail)


class CalendarLinks:
    """Builds an invite's add links and counts the people who use them."""

    def __init__(self, load: Loader, load_at: VersionLoader, views: ReadModel, domain: str) -> None:
        self._load = load
        self._load_at = load_at
        self._views = views
        self._domain = domain

    def event(self, invite: Invite) -> EventDetails:
        """Return the loaded ``invite``'s event as the invitations publish it (no attendees;
        while a change is held for review, as last sent: ``published_version``).

        Raises ``NoCalendarLinkError`` for a cancelled event or one without a master.
        """
        published = published_version(self._load, self._load_at, invite, self._domain)
        details = published.details
        if published.method is Method.CANCEL or details is None:
            raise NoCalendarLinkError(f"the invite {invite.id} has no event to add")
        return details

    def links(self, invite_id: UUID, *, more: str | None) -> dict[Provider, str] | None:
        """Return the invite's links straight to each web calendar; None: no such invite.

        Raises ``NoCalendarLinkError`` when there is nothing to add.
        """
        invite = self._load(Invite, invite_id)
        return None if invite is None else self.links_for(invite, more=more)

    def links_for(self, invite: Invite, *, more: str | None) -> dict[Provider, str]:
        """Return the loaded ``invite``'s links straight to each web calendar.

        Raises ``NoCalendarLinkError`` when there is nothing to add.
        """
        found = web_links(self.event(invite), more=more)
        if not found:
            raise NoCalendarLinkError(f"the invite {invite.id} has no start time")
        return found

    def count(self, invite_id: UUID, provider: Provider) -> None:
        """Count one person who added the event through ``provider``'s link."""
        count_added(self._views, invite_id, provider.value)
