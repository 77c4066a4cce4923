"""Two independent iCalendar readers, and invitations rendered by the real renderer.

ical.js (Thunderbird's parser, run with Node from tests/interop/node) and recurring-ical-events
(Python, on icalendar) each list the first occurrences of a calendar's master VEVENT as UTC
instants; an invitation is right when they list the same instants for it as for the original.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import recurring_ical_events
from icalendar import Calendar, Event

from adapters.outbound import IcalendarInviteRenderer
from domain.outbound import Addressee, OutboundInvite, message_id, server_uid
from domain.values import EventDetails, Method
from tests.render_reference import calendar_part

NODE_DIR = Path(__file__).parent / "node"
COUNT = 100
_INVITE = UUID("6c1d3f2e-5b4a-4c3d-9e8f-7a6b5c4d3e2f")
_DOMAIN = "cis.example"
_NOW = datetime(2025, 3, 1, 9, tzinfo=UTC)
_RENDERER = IcalendarInviteRenderer()


def rendered(details: EventDetails) -> bytes:
    """Return the text/calendar part of the invitation the server sends for ``details``."""
    version = OutboundInvite(
        _INVITE, server_uid(_INVITE, _DOMAIN), Method.REQUEST, 0, "Org", details
    )
    person = Addressee(
        "bob@example.com", "Bob", f"reply+bob@{_DOMAIN}", message_id(_INVITE, "bob", 0, _DOMAIN)
    )
    (mail,) = _RENDERER.render(version, (person,), sender=f"invites@{_DOMAIN}", now=_NOW)
    return calendar_part(mail.data)


def instant(value: date) -> str:
    """Return an occurrence start as both readers print it (see node/occurrences.mjs)."""
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        return f"floating {value.strftime('%Y%m%dT%H%M%S')}"
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def icaljs(calendars: list[bytes], count: int = COUNT) -> list[list[str]]:
    """Return each calendar's first occurrences as ical.js reads them: one Node run in all."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("the interop tests need Node.js (node) on PATH: see README, Interop")
    if not (NODE_DIR / "node_modules" / "ical.js").is_dir():
        raise RuntimeError(f"ical.js is not installed: run `npm ci --prefix {NODE_DIR}`")
    cases = [{"ics": c.decode("utf-8", "replace"), "count": count} for c in calendars]
    done = subprocess.run(  # our own script; the calendars go in on stdin
        [node, str(NODE_DIR / "occurrences.mjs")],
        input=json.dumps(cases).encode(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    results: list[list[str] | dict[str, str]] = json.loads(done.stdout)
    for result in results:
        if isinstance(result, dict):
            raise AssertionError(f"ical.js could not read a calendar: {result['error']}")
    return [r for r in results if isinstance(r, list)]


def python_reader(calendar: bytes, count: int = COUNT) -> list[str]:
    """Return the first occurrences of the master VEVENT as recurring-ical-events reads them."""
    parsed = Calendar.from_ical(calendar, multiple=True)[0]
    master = next(
        e for e in parsed.walk("VEVENT") if isinstance(e, Event) and "RECURRENCE-ID" not in e
    )
    alone = Calendar()
    alone.add("VERSION", "2.0")
    for zone in parsed.timezones:
        alone.add_component(zone)
    alone.add_component(master)
    found = itertools.islice(recurring_ical_events.of(alone).all(), count)
    return [instant(e.DTSTART) for e in found]
