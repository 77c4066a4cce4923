"""Organizers' invitation emails as calendar clients send them, for sender-authentication tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from icalendar import Calendar, Event, vCalAddress

ALICE = "alice@example.com"
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
DOMAIN = "invites.example"


def calendar(
    method: str = "REQUEST",
    organizer: str = ALICE,
    *,
    uid: str = "planning-1@example.com",
    sequence: int = 0,
    location: str = "Room 4",
    sent_by: str | None = None,
) -> bytes:
    """Return an organizer's iCalendar message (real icalendar, CRLF)."""
    cal = Calendar()
    cal.add("prodid", "-//Tests//Sender authentication//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.now(UTC) - timedelta(minutes=1))
    event.add("dtstart", START)
    event.add("dtend", START + timedelta(hours=1))
    event.add("summary", "Planning")
    event.add("location", location)
    event.add("sequence", sequence)
    params = {"CN": "Alice"} | ({"SENT-BY": f"mailto:{sent_by}"} if sent_by else {})
    event.add("organizer", vCalAddress(f"mailto:{organizer}"), parameters=params)
    event.add("attendee", vCalAddress("mailto:bob@example.org"), parameters={"RSVP": "TRUE"})
    cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def email_of(
    body: bytes, *froms: str, method: str = "REQUEST", extra: tuple[str, ...] = ()
) -> bytes:
    """Return an email carrying ``body`` as text/calendar, with each of ``froms`` as a From
    header (none: no From at all) and ``extra`` header lines on top."""
    message = EmailMessage()
    message["To"] = f"create@{DOMAIN}"
    message["Subject"] = "Invitation: Planning"
    message["Date"] = "Fri, 20 Nov 2026 09:00:00 +0000"
    message["Message-ID"] = f"<{hashlib.sha256(body).hexdigest()[:16]}@example.com>"
    message.set_content(body.decode(), subtype="calendar", params={"method": method})
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    head = [*extra, *(f"From: {f}" for f in froms)]
    return "".join(f"{h}\r\n" for h in head).encode() + raw
