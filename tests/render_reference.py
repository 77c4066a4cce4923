"""The naive way to build one invite email, and how two emails are compared by what they say.

``reference_mail`` builds the whole message for one recipient from scratch, with icalendar and
the email package and nothing precomputed: the oracle the fast renderer must agree with, and
the baseline of ``bench.render``. ``semantics`` reduces an email to what a reader parses out of
it, so two emails that differ only in encoding, folding or order compare equal.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from icalendar import Calendar, Event
from icalendar.cal.component import Component
from icalendar.prop import vCalAddress, vRecur
from jinja2 import Environment

from adapters.outbound.bodies import environment, render_bodies, subject_of
from adapters.outbound.calendar import PRODID, timezone_window
from adapters.outbound.renderer import stamp_of
from adapters.outbound.text import calendar_text, one_line
from adapters.outbound.times import end_of, moment, same_kind, span_of, start_of, zone
from adapters.outbound.vtimezone import add_timezones, definitions_of
from domain.outbound import Addressee, OutboundInvite
from domain.values import EventDetails, Method
from domain.web_links import rsvp_urls
from entrypoints.web_paths import RSVP_PATH

TEMPLATES = environment()


def _vevent(
    invite: OutboundInvite,
    addressee: Addressee,
    details: EventDetails,
    now: datetime,
    *,
    cancelled: bool,
    recurrence: date | None = None,
) -> Event:
    """Return one complete VEVENT, ORGANIZER and ATTENDEE included."""
    event = Event()
    event.add("UID", invite.uid)
    event.add("SEQUENCE", invite.sequence)
    event.add("DTSTAMP", now)
    if recurrence is not None:
        event.add("RECURRENCE-ID", recurrence)
    for name, value in (
        ("SUMMARY", details.summary),
        ("DESCRIPTION", details.description),
        ("LOCATION", details.location),
    ):
        if calendar_text(value):
            event.add(name, calendar_text(value))
    status = "CANCELLED" if cancelled else (details.status or "").upper()
    if status in {"TENTATIVE", "CONFIRMED", "CANCELLED"}:
        event.add("STATUS", status)
    start, end = start_of(details), end_of(details)
    if start is None and recurrence is not None and invite.details is not None:
        span = span_of(invite.details)
        start, end = recurrence, None if span is None else recurrence + span
    elif start is None:
        start = recurrence
    if start is not None:
        event.add("DTSTART", start)
        if end is not None and same_kind(start, end) and end > start:
            event.add("DTEND", end)
    if recurrence is None and details.rrule:
        event.add("RRULE", vRecur.from_ical(details.rrule))
    for text in details.rdates if recurrence is None else ():
        event.add("RDATE", moment(text, zone(details.timezone), all_day=details.all_day))
    for text in details.exdates if recurrence is None else ():
        event.add("EXDATE", moment(text, zone(details.timezone), all_day=details.all_day))
    organizer = vCalAddress(f"mailto:{addressee.reply_address}")
    attendee = vCalAddress(f"mailto:{addressee.address}")
    # icalendar would leave a CN ending in a backslash unquoted and misread it (see calendar.py).
    organizer.params.quote_also = attendee.params.quote_also = {"CN": " '\\"}
    if one_line(invite.organizer_name):
        organizer.params["CN"] = one_line(invite.organizer_name)
    event.add("ORGANIZER", organizer)
    if one_line(addressee.name):
        attendee.params["CN"] = one_line(addressee.name)
    attendee.params.update(
        {"CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION"}
    )
    attendee.params["RSVP"] = "TRUE"
    event.add("ATTENDEE", attendee)
    return event


def _occurrence(
    invite: OutboundInvite,
    addressee: Addressee,
    rid: str,
    own: EventDetails | None,
    now: datetime,
    *,
    cancelled: bool,
) -> Event:
    """Return the VEVENT of one occurrence; a bare one borrows the master's texts."""
    basis = invite.details or own or EventDetails()
    where = zone(basis.timezone) if basis.start is not None else UTC
    recurrence = moment(rid, where, all_day=basis.all_day)
    if own is None or not own.start:
        master, mine = invite.details or EventDetails(), own or EventDetails()
        own = EventDetails(
            summary=mine.summary or master.summary,
            description=mine.description or master.description,
            location=mine.location or master.location,
            status=mine.status,
        )
    return _vevent(invite, addressee, own, now, cancelled=cancelled, recurrence=recurrence)


def reference_calendar(invite: OutboundInvite, addressee: Addressee, now: datetime) -> bytes:
    """Return the iCalendar object for one recipient, built from nothing."""
    stamp = stamp_of(now)
    events: list[Event] = []
    cancel = invite.method == Method.CANCEL
    if cancel and invite.cancelled_instance is not None:
        rid = invite.cancelled_instance
        own = {i.recurrence_id: i.details for i in invite.instances}.get(rid)
        events.append(_occurrence(invite, addressee, rid, own, stamp, cancelled=True))
    else:
        if invite.details is not None:
            events.append(_vevent(invite, addressee, invite.details, stamp, cancelled=cancel))
        if not cancel or invite.details is None:
            for i in invite.instances:
                events.append(
                    _occurrence(
                        invite,
                        addressee,
                        i.recurrence_id,
                        i.details,
                        stamp,
                        cancelled=cancel or i.cancelled,
                    )
                )
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", invite.method.value)
    for event in events:
        calendar.add_component(event)
    add_timezones(calendar, *timezone_window(events), definitions_of(invite))
    return bytes(calendar.to_ical())


def reference_mail(
    invite: OutboundInvite,
    addressee: Addressee,
    *,
    sender: str,
    now: datetime,
    templates: Environment = TEMPLATES,
    web_base_url: str | None = None,
) -> bytes:
    """Return the whole email for one recipient, built from nothing with the email package;
    with ``web_base_url``, an invitation to an addressee with a link token has its web links."""
    addresses = (sender, addressee.address, addressee.reply_address)
    utf8 = not all(a.isascii() for a in addresses)
    message = EmailMessage(policy=email.policy.SMTPUTF8 if utf8 else email.policy.SMTP)
    message["From"] = sender
    message["To"] = Address(one_line(addressee.name) or "", addr_spec=addressee.address)
    message["Reply-To"] = addressee.reply_address
    message["Subject"] = subject_of(invite)
    message["Date"] = stamp_of(now)
    message["Message-ID"] = addressee.message_id
    links = None
    if web_base_url and addressee.rsvp_token and invite.method == Method.REQUEST:
        links = rsvp_urls(web_base_url + RSVP_PATH, addressee.rsvp_token)
    text, html = render_bodies(templates, invite, links)
    calendar = reference_calendar(invite, addressee, now)
    method = {"method": invite.method.value, "charset": "UTF-8"}
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    message.add_alternative(
        calendar, maintype="text", subtype="calendar", cte="base64", params=method
    )
    message.add_attachment(
        calendar,
        maintype="application",
        subtype="ics",
        filename="invite.ics",
        params={"name": "invite.ics"},
    )
    return message.as_bytes()


def parse(data: bytes) -> EmailMessage:
    """Return ``data`` parsed as a reader would (the email package's default policy)."""
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def calendar_part(data: bytes) -> bytes:
    """Return the decoded text/calendar body of an invite email."""
    for part in parse(data).walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    raise AssertionError("no text/calendar part")


def component_semantics(component: Component) -> tuple[Any, ...]:
    """Return a component as comparable data: properties and subcomponents, order ignored."""
    properties = sorted(
        (
            name,
            value.to_ical() if hasattr(value, "to_ical") else str(value),
            tuple(sorted(getattr(value, "params", {}).items())),
        )
        for name, values in component.items()
        for value in (values if isinstance(values, list) else [values])
    )
    children = sorted(component_semantics(c) for c in component.subcomponents)
    return (component.name, tuple(properties), tuple(children))


def display_name(data: bytes, field: str = "To") -> str:
    """Return the display name of a one-address header as an RFC 2047 reader decodes it.

    CPython's address parser puts a space between adjacent encoded words (python/cpython
    gh-128110) where RFC 2047 drops the folding whitespace; its unstructured parser gets it
    right, so a phrase made only of encoded words is decoded that way.
    """
    message = parse(data)
    raw = "".join(dict(message.raw_items())[field].splitlines())
    phrase = raw.rpartition("<")[0].strip()
    if phrase and all(w.startswith("=?") and w.endswith("?=") for w in phrase.split()):
        return str(email.policy.default.header_factory("Subject", phrase))
    return str(message[field].addresses[0].display_name)


def _header_semantics(message: EmailMessage, name: str) -> object:
    header = message[name]
    if header is None:
        return None
    if hasattr(header, "addresses"):
        # Whitespace-blind: the email package and the renderer cut encoded words differently,
        # and CPython's parser reads those cuts as spaces (see display_name).
        return [("".join(a.display_name.split()), a.addr_spec) for a in header.addresses]
    if hasattr(header, "datetime"):
        return header.datetime
    if name == "Subject":
        # Whitespace-blind too: the email package's folder loses a space between two encoded
        # words it writes (python/cpython gh-144156); the renderer's own is checked exactly.
        return "".join(str(header).split())
    return str(header)


def semantics(data: bytes) -> dict[str, Any]:
    """Return what a reader gets from an email: headers, part tree, decoded bodies, calendars."""
    message = parse(data)
    parts = []
    for part in message.walk():
        params = {k.lower(): v for k, v in part.get_params() or [] if k.lower() != "boundary"}
        params.pop(part.get_content_type(), None)
        body: object = None
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            if part.get_content_type() in {"text/calendar", "application/ics"}:
                body = component_semantics(Calendar.from_ical(payload))
            else:
                body = part.get_content()
        parts.append(
            (
                part.get_content_type(),
                params,
                part.get_content_disposition(),
                part.get_filename(),
                body,
            )
        )
    headers = ("From", "To", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version")
    return {
        "header names": sorted(k.lower() for k in message),
        "headers": {name: _header_semantics(message, name) for name in headers},
        "parts": parts,
    }
