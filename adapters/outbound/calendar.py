"""One version's iCalendar object, serialized once and personalized per recipient."""

from __future__ import annotations

from datetime import date, datetime

from icalendar import Calendar, Event
from icalendar.prop import vCalAddress, vRecur

from adapters.outbound.events import PERSONAL, instance, master
from adapters.outbound.text import one_line
from adapters.outbound.vtimezone import add_timezones, definitions_of
from domain.outbound import Addressee, OutboundInvite
from domain.values import Method

PRODID = "-//Calendar Invite Server//EN"
SENT_METHODS = frozenset({Method.REQUEST, Method.CANCEL})
_MARKER = f"\r\n{PERSONAL}:\r\n".encode("ascii")


def events_of(invite: OutboundInvite, now: datetime) -> list[Event]:
    """Return the VEVENTs a version carries (docs/architecture.md, Outbound mail)."""
    cancel = invite.method == Method.CANCEL
    if cancel and invite.cancelled_instance is not None:
        rid = invite.cancelled_instance
        own = next((i.details for i in invite.instances if i.recurrence_id == rid), None)
        return [instance(invite, rid, own, now, cancelled=True)]
    events = []
    if invite.details is not None:
        events.append(master(invite, invite.details, now, cancelled=cancel))
    # Cancelling a series needs only its master; without one, every known instance goes.
    if not cancel or invite.details is None:
        events += [
            instance(invite, i.recurrence_id, i.details, now, cancelled=cancel or i.cancelled)
            for i in invite.instances
        ]
    return events


def timezone_window(events: list[Event]) -> tuple[date, date]:
    """Return the dates the VTIMEZONEs cover: a year before the first start to the series' end.

    Nothing in an invite happens before its first DTSTART, so earlier transitions only add
    bytes. Yearly rules in force by then cover any later year; only zones tzdata lists
    change by change (Casablanca, Gaza, Cairo) need the end: 2038 at least, and as far as
    tzdata lists for a series with no end.
    """
    years = [e.DTSTART.year for e in events if e.get("DTSTART") is not None] or [1970]
    last = max([max(years) + 2, *(_last_year(e) for e in events)])
    return date(max(1, min(years) - 1), 1, 1), date(max(2038, min(9999, last)), 1, 1)


# Years one occurrence moves a series on, by FREQ: enough to tell how far COUNT reaches.
_YEARS_PER_STEP = {"YEARLY": 1.0, "MONTHLY": 1 / 12, "WEEKLY": 7 / 365, "DAILY": 1 / 365}
_OPEN_ENDED_UNTIL = 2100  # tzdata lists Casablanca's and Gaza's changes to 2087


def _last_year(event: Event) -> int:
    """Return the year a recurring event's last occurrence falls in (0: no RRULE)."""
    rule, start = event.get("RRULE"), event.get("DTSTART")
    if not isinstance(rule, vRecur) or start is None:
        return 0
    if rule.get("UNTIL"):
        return int(rule["UNTIL"][0].year) + 1
    if rule.get("COUNT"):
        step = _YEARS_PER_STEP.get(str(rule["FREQ"][0]), 1 / 365) * int(
            rule.get("INTERVAL", [1])[0]
        )
        return int(event.DTSTART.year + rule["COUNT"][0] * step) + 1
    return _OPEN_ENDED_UNTIL


def calendar_of(invite: OutboundInvite, now: datetime) -> tuple[Calendar, int]:
    """Return the version's VCALENDAR (no ORGANIZER or ATTENDEE yet) and its VEVENT count."""
    if invite.method not in SENT_METHODS:
        raise ValueError(f"the server sends REQUEST and CANCEL, not {invite.method}")
    events = _events(invite, now)
    return _calendar(invite.method.value, events, definitions_of(invite)), len(events)


def publication_of(invite: OutboundInvite, now: datetime) -> Calendar:
    """Return the version as an "add to calendar" file: METHOD:PUBLISH, nobody invited.

    Without ORGANIZER and ATTENDEE the event is not group-scheduled (RFC 5545 3.8.4.3): clients
    add it as it is and offer no answer buttons; the emailed versions update it by its UID.
    """
    events = _events(invite, now)
    for event in events:
        del event[PERSONAL]
    # Never sent by mail (docs/architecture.md, Outbound mail): PUBLISH is only for these files.
    return _calendar(Method.PUBLISH.value, events, definitions_of(invite))


def _events(invite: OutboundInvite, now: datetime) -> list[Event]:
    events = events_of(invite, now)
    if not events:
        raise ValueError(f"invite {invite.invite} has nothing to send: no details, no instances")
    return events


def _calendar(method: str, events: list[Event], defined: dict[str, str]) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    for event in events:
        calendar.add_component(event)
    # Sorted by TZID and built from tzdata (or the stored definitions) alone: a resend of one
    # version is the same bytes.
    add_timezones(calendar, *timezone_window(events), defined)
    return calendar


# icalendar leaves a CN that ends in a backslash unquoted, and then reads its own "CN=x\\:" as
# an escaped colon (so do other parsers); quoted, the value is unambiguous.
_QUOTE_CN_WITH = {"CN": " '\\"}


def participants(organizer_name: str | None, addressee: Addressee) -> tuple[vCalAddress, ...]:
    """Return the ORGANIZER (the reply address the server owns) and the one ATTENDEE."""
    organizer = vCalAddress(f"mailto:{addressee.reply_address}")
    attendee = vCalAddress(f"mailto:{addressee.address}")
    organizer.params.quote_also = attendee.params.quote_also = _QUOTE_CN_WITH
    if organizer_name:
        organizer.params["CN"] = organizer_name
    name = one_line(addressee.name)
    if name:
        attendee.params["CN"] = name
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "TRUE"
    return organizer, attendee


class PersonalCalendar:
    """The calendar bytes of one version, cut where each VEVENT takes the recipient's lines."""

    def __init__(self, invite: OutboundInvite, now: datetime) -> None:
        calendar, count = calendar_of(invite, now)
        # The marker is a whole content line of our own output: user text is escaped and
        # folded lines start with a space, so nothing else can look like it.
        self._pieces = calendar.to_ical().split(_MARKER)
        if len(self._pieces) != count + 1:
            raise RuntimeError("the calendar lost a personalization marker")
        self._organizer_name = one_line(invite.organizer_name)
        self._writer = Event()

    def for_addressee(self, addressee: Addressee) -> bytes:
        """Return the calendar with the addressee's ORGANIZER and ATTENDEE in every VEVENT."""
        organizer, attendee = participants(self._organizer_name, addressee)
        lines = b"\r\n".join(
            (
                self._writer.content_line("ORGANIZER", organizer).to_ical(),
                self._writer.content_line("ATTENDEE", attendee).to_ical(),
            )
        )
        return (b"\r\n" + lines + b"\r\n").join(self._pieces)
