"""Messages a stranger could send to make reading them cost minutes (issue 13, H).

Each is a REQUEST from org@example.com to the create mailbox; the cost hides in a time zone
the sender defines, or in a header. Shared by tests/faults and bench/hostile.py.
"""

from __future__ import annotations

import base64

ORGANIZER = "org@example.com"
_RULES = ("FREQ=YEARLY;BYMONTH=10;BYDAY=1SU", "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU")


def _zone(tzid: str, standard: str, daylight: str, start: str = "20200101T000000") -> str:
    return (
        f"BEGIN:VTIMEZONE\nTZID:{tzid}\n"
        f"BEGIN:STANDARD\nDTSTART:{start}\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n"
        f"RRULE:{standard}\nEND:STANDARD\n"
        f"BEGIN:DAYLIGHT\nDTSTART:{start}\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n"
        f"RRULE:{daylight}\nEND:DAYLIGHT\nEND:VTIMEZONE\n"
    )


def invite(
    zones: str = "",
    tzid: str = "Europe/Paris",
    *,
    extra: str = "",
    uid: str = "hostile@example.com",
    subject: str = "Weekly review",
) -> bytes:
    """Return an email carrying one weekly REQUEST in ``tzid`` (``zones``: its VTIMEZONEs)."""
    calendar = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Example//Hostile//EN\nMETHOD:REQUEST\n"
        + zones
        + f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20250101T120000Z\nSEQUENCE:0\nSUMMARY:Review\n"
        f'DTSTART;TZID="{tzid}":20250106T090000\nDTEND;TZID="{tzid}":20250106T100000\n'
        "RRULE:FREQ=WEEKLY;BYDAY=MO\n" + extra + f"ORGANIZER;CN=Org:mailto:{ORGANIZER}\n"
        "ATTENDEE;RSVP=TRUE:mailto:bob@example.com\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    head = (
        f"From: {ORGANIZER}\r\nTo: create@invites.example.com\r\nSubject: {subject}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n"
    )
    return head.encode() + calendar.replace("\n", "\r\n").encode()


def ordinary() -> bytes:
    """Return an Outlook-like invite in its own "Customized Time Zone" (rules from 1601)."""
    zone = _zone("Customized Time Zone", *_RULES, start="16010101T030000")
    return invite(zone, "Customized Time Zone", uid="ordinary@example.com")


def every_second() -> bytes:
    """Return an invite whose zone changes offset every other second, forever (from 2020)."""
    rule = "FREQ=SECONDLY;INTERVAL=2"
    return invite(_zone("Tick", rule, rule), "Tick", uid="tick@example.com")


def every_minute() -> bytes:
    """Return an invite whose zone changes offset every other minute since 2020."""
    rule = "FREQ=MINUTELY;INTERVAL=2"
    return invite(_zone("Tock", rule, rule), "Tock", uid="tock@example.com")


def many_rules_zone(tzid: str = "Everywhere", observances: int = 64) -> str:
    """Return a zone of the most yearly observances a definition may have, from year 1:
    dateutil walks every one of them from year 1 for each time read in it."""
    parts = []
    for index in range(observances):
        name = "DAYLIGHT" if index % 2 else "STANDARD"
        offsets = ("+0100", "+0200") if index % 2 else ("+0200", "+0100")
        rule = f"FREQ=YEARLY;BYMONTH={index % 12 + 1};BYDAY={index // 12 % 4 + 1}SU"
        parts.append(
            f"BEGIN:{name}\nDTSTART:00010101T0{index % 10}0000\nTZOFFSETFROM:{offsets[0]}\n"
            f"TZOFFSETTO:{offsets[1]}\nRRULE:{rule}\nEND:{name}\n"
        )
    return f"BEGIN:VTIMEZONE\nTZID:{tzid}\n{''.join(parts)}END:VTIMEZONE\n"


def exdate_heavy(count: int = 2000) -> bytes:
    """Return an invite in a many-rule custom zone with ``count`` EXDATEs in that zone."""
    days = [f"{2025 + i // 52:04d}{i % 12 + 1:02d}{i % 28 + 1:02d}T090000" for i in range(count)]
    # 40 to a line: SMTP takes lines of up to 1,000 bytes.
    lines = (",".join(days[i : i + 40]) for i in range(0, count, 40))
    extra = "".join(f'EXDATE;TZID="Everywhere":{line}\n' for line in lines)
    return invite(many_rules_zone(), "Everywhere", extra=extra, uid="exdates@example.com")


def encoded_subject(megabytes: float = 4.0, *, folded: bool = False) -> bytes:
    """Return an invite whose Subject is ``megabytes`` of encoded words, on one line (as an
    upload or a file may have it) or ``folded`` (as SMTP, 1,000-byte lines, carries it)."""
    word = "=?utf-8?b?" + base64.b64encode("é".encode() * 30).decode() + "?="
    words = int(megabytes * 1e6 / (len(word) + 3))
    return invite(
        subject=(" \r\n" if folded else " ").join([word] * words), uid="subject@example.com"
    )


def many_zones(count: int = 2000) -> bytes:
    """Return an invite carrying ``count`` custom zones (rules from year 1), each named by
    one EXDATE: icalendar built a zone for each, and each was walked from year 1."""
    zones = "".join(_zone(f"Z{n}", *_RULES, start="00010101T030000") for n in range(count))
    extra = "".join(f'EXDATE;TZID="Z{n}":{2025 + n % 40}0106T090000\n' for n in range(count))
    return invite(zones, "Europe/Paris", extra=extra, uid="zones@example.com")
