"""Test helper: answer an invitation the server sent with a real client's REPLY fixture."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from icalendar import Calendar, vCalAddress

from tests.conftest import CORPUS


def invitation_calendar(message: EmailMessage | bytes) -> Calendar | None:
    """Return the text/calendar part of a sent message, parsed; None if it has none."""
    if isinstance(message, bytes):
        parsed = email.message_from_bytes(message, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        message = parsed
    part = next((p for p in message.walk() if p.get_content_type() == "text/calendar"), None)
    if part is None:
        return None
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def answer(
    invitation: Calendar,
    attendee: str,
    partstat: str,
    fixture: str = "reply/google-reply-accepted.ics",
) -> tuple[bytes, str]:
    """Return (reply bytes, reply address): the fixture re-addressed to our invitation."""
    ours = invitation.events[0]
    reply = Calendar.from_ical((CORPUS / fixture).read_bytes())
    for event in reply.events:
        for name in ("UID", "SEQUENCE", "ORGANIZER"):
            event[name] = ours[name]
        who = vCalAddress(f"mailto:{attendee}")
        who.params["PARTSTAT"] = partstat
        event["ATTENDEE"] = who
    data: bytes = reply.to_ical()
    return data, str(ours["ORGANIZER"]).removeprefix("mailto:")
