"""Organizers' calendars whose TZID only their own VTIMEZONE defines, and no IANA zone matches.

Written the way Outlook ("Customized Time Zone", rules from 1601), Apple (a week of month
days) and a listing client (one RDATE per change) write them; the rules are ones no IANA zone
has, so the server can only carry the organizer's definition through.
"""

from __future__ import annotations

OUTLOOK = """BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=4
END:DAYLIGHT
END:VTIMEZONE
"""
APPLE = """BEGIN:VTIMEZONE
TZID:Atlantic Islands (custom)
BEGIN:DAYLIGHT
DTSTART:20070311T020000
TZOFFSETFROM:-0300
TZOFFSETTO:-0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU
TZNAME:ADT
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20071111T020000
TZOFFSETFROM:-0200
TZOFFSETTO:-0300
RRULE:FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU
TZNAME:AST
END:STANDARD
END:VTIMEZONE
"""
# Changes on dates no rule gives, listed (with each observance's DTSTART among its RDATEs).
LISTED = """BEGIN:VTIMEZONE
TZID:Station Time
BEGIN:STANDARD
DTSTART:20240101T000000
TZOFFSETFROM:+0530
TZOFFSETTO:+0530
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20250305T020000
TZOFFSETFROM:+0530
TZOFFSETTO:+0630
RDATE:20250305T020000
RDATE:20260311T020000
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20250920T020000
TZOFFSETFROM:+0630
TZOFFSETTO:+0530
RDATE:20250920T020000
RDATE:20260926T020000
END:STANDARD
END:VTIMEZONE
"""

_EVENT = """BEGIN:VEVENT
UID:{uid}
DTSTAMP:20250101T120000Z
SEQUENCE:0
SUMMARY:Weekly review
DTSTART;TZID="{tzid}":20250106T090000
DTEND;TZID="{tzid}":20250106T100000
RRULE:{rule}
ORGANIZER;CN=Org:mailto:org@example.com
ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com
END:VEVENT
"""

CASES = {
    "outlook-customized-zone": (OUTLOOK, "Customized Time Zone", "FREQ=WEEKLY;BYDAY=MO"),
    "apple-custom-zone": (APPLE, "Atlantic Islands (custom)", "FREQ=WEEKLY;INTERVAL=2"),
    "listed-custom-zone": (LISTED, "Station Time", "FREQ=WEEKLY;COUNT=90"),
}


def calendar(name: str) -> bytes:
    """Return the organizer's REQUEST of one case, as their client would send it."""
    vtimezone, tzid, rule = CASES[name]
    text = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Example//Custom zones//EN\nMETHOD:REQUEST\n"
        + vtimezone
        + _EVENT.format(uid=f"{name}@example.com", tzid=tzid, rule=rule)
        + "END:VCALENDAR\n"
    )
    return text.replace("\n", "\r\n").encode("utf-8")
