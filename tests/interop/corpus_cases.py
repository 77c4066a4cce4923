"""Corpus invitations the interop tests render: recurring, all-day, Windows and custom zones."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from adapters.inbound.parser import EmailCalendarParser
from domain.messages import ItipMessage
from domain.values import EventDetails
from tests.conftest import CORPUS

__all__ = ["CASES", "CORPUS", "CUSTOM_ZONE", "master_of", "original"]
CASES = (
    "recurring/apple-ical5-monthly-with-exception.ics",
    "recurring/exchange2010-weekly-count-invite.eml",
    "recurring/gcal-allday-weekly-until.ics",
    "recurring/gcal-weekly-recur.ics",
    "recurring/tb-repeat-event.eml",
    "allday/blackberry-bis-allday-request.ics",
    "allday/calendarserver-allday-no-attendees.ics",
    "allday/icloud-allday.ics",
    "request/exchange2010-pacific-standard-time.ics",
    "request/exchange2010-romance-tz.ics",
    "request/outlook-mac-invite-comma-tzid.eml",
    "other/exchange2010-publish-eastern-unquoted-tzid.ics",
    "update/exchange2010-seq4.ics",
)
# Exchange's "GMT -0500 (Standard) / GMT -0400 (Daylight)": goes out as the IANA zone whose
# offsets its own VTIMEZONE keeps.
CUSTOM_ZONE = "encoding/exchange-cdo-zoom-meeting-8bit.eml"

_PARSER = EmailCalendarParser()


def original(path: Path) -> bytes:
    """Return the organizer's calendar as sent: the file, or the email's text/calendar part."""
    raw = path.read_bytes()
    if path.suffix != ".eml":
        return raw
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    raise AssertionError(f"{path.name} has no text/calendar part")


def master_of(raw: bytes) -> EventDetails:
    """Return the master VEVENT's details as the server reads them from an email or .ics."""
    parsed = _PARSER.parse(raw, sender="organizer@example.com")
    assert isinstance(parsed, ItipMessage), parsed
    found = [c.details for c in parsed.components if c.recurrence_id is None]
    assert found, "the calendar has no master VEVENT"
    return found[0]
