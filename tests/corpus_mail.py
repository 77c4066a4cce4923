"""Test helper: hand a bare .ics file to the server with the sender its author's mail carries.

A bare calendar file has no From header, and the server takes no organizer's message whose
sender it cannot name, under any sender policy (README, "Who may speak for an organizer"). An
organizer's calendar client mails its invitations from the organizer's own address, so a test
delivers a bare organizer file with that address as the envelope sender:

    from_organizer(service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW)
    cis ingest --from <organizer_of(raw)> FILE

An email is left as it is: its From header names its sender.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar

from adapters.inbound.mime import is_bare_calendar
from application.results import IngestResult
from domain.identity import normalize_address
from domain.values import ATTENDEE_METHODS
from tests.driver import Driver


def organizer_of(raw: bytes) -> str:
    """Return the ORGANIZER address of a bare .ics file (lower case, without ``mailto:``)."""
    found = _addresses(raw, "ORGANIZER")
    assert len(found) == 1, f"expected one ORGANIZER in the calendar file, found {found}"
    return found[0]


def sender_of(raw: bytes) -> str | None:
    """Return the envelope sender the author of ``raw`` would have mailed it from.

    None for an email (its From header says) and for a bare file that names no author; for
    a bare REPLY, COUNTER or REFRESH its one ATTENDEE; for any other bare file its ORGANIZER.
    """
    if not is_bare_calendar(raw):
        return None
    methods = {str(c.get("METHOD", "")).upper() for c in _calendars(raw)}
    attendee_methods = {m.value for m in ATTENDEE_METHODS}
    found = _addresses(raw, "ATTENDEE" if methods & attendee_methods else "ORGANIZER")
    return found[0] if len(found) == 1 else None


def from_organizer(
    service: Driver, raw: bytes, *, now: datetime, envelope_to: str | None = None
) -> IngestResult:
    """Ingest a bare organizer's .ics file as mailed from its ORGANIZER's own address."""
    return service.ingest(raw, now=now, envelope_to=envelope_to, envelope_from=organizer_of(raw))


def as_sent(
    service: Driver, raw: bytes, *, now: datetime, envelope_to: str | None = None
) -> IngestResult:
    """Ingest any corpus message as its author would have sent it (see :func:`sender_of`)."""
    return service.ingest(raw, now=now, envelope_to=envelope_to, envelope_from=sender_of(raw))


def _calendars(raw: bytes) -> list[Calendar]:
    try:
        return list(Calendar.from_ical(raw, multiple=True))
    except ValueError:
        return []  # a file broken beyond icalendar's reading names nobody


def _addresses(raw: bytes, name: str) -> list[str]:
    """Return the distinct addresses of property ``name`` across the file's components."""
    found: dict[str, None] = {}
    for calendar in _calendars(raw):
        for component in calendar.walk():
            values = component.get(name)
            for value in values if isinstance(values, list) else [values]:
                if value is not None:
                    found[normalize_address(str(value))] = None
    return list(found)
