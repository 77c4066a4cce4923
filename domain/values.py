"""Value objects shared by the invite and attendance aggregates."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any


class Method(StrEnum):
    """iTIP methods (RFC 5546 section 1.4)."""

    PUBLISH = "PUBLISH"
    REQUEST = "REQUEST"
    REPLY = "REPLY"
    ADD = "ADD"
    CANCEL = "CANCEL"
    REFRESH = "REFRESH"
    COUNTER = "COUNTER"
    DECLINECOUNTER = "DECLINECOUNTER"


ORGANIZER_METHODS = frozenset({Method.REQUEST, Method.CANCEL, Method.ADD})
ATTENDEE_METHODS = frozenset({Method.REPLY, Method.COUNTER, Method.REFRESH})

# The key under which the master component (no RECURRENCE-ID) is tracked.
MASTER = ""


@dataclass(frozen=True)
class Attendee:
    """One ATTENDEE property as the organizer or the replying attendee wrote it."""

    address: str
    name: str | None = None
    partstat: str = "NEEDS-ACTION"
    role: str | None = None
    rsvp: bool = False
    delegated_to: tuple[str, ...] = ()
    delegated_from: tuple[str, ...] = ()
    sent_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        data = asdict(self)
        data["delegated_to"] = list(self.delegated_to)
        data["delegated_from"] = list(self.delegated_from)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attendee:
        """Rebuild from :meth:`as_dict` output."""
        return cls(
            **{
                **data,
                "delegated_to": tuple(data.get("delegated_to", ())),
                "delegated_from": tuple(data.get("delegated_from", ())),
            }
        )


@dataclass(frozen=True)
class EventDetails:
    """What one VEVENT says about the meeting: the part people see.

    Times are ISO 8601 text: a date for all-day events, otherwise a date-time with its UTC
    offset (or without one for RFC 5545 floating times). ``timezone`` is the IANA name when
    the TZID could be resolved, otherwise the TZID as written; then ``zone_definition`` is the
    organizer's own VTIMEZONE for it (iCalendar text), so a series keeps its wall-clock time.
    """

    summary: str | None = None
    description: str | None = None
    location: str | None = None
    start: str | None = None
    end: str | None = None
    timezone: str | None = None
    all_day: bool = False
    rrule: str | None = None
    rdates: tuple[str, ...] = ()
    exdates: tuple[str, ...] = ()
    status: str | None = None
    attendees: tuple[Attendee, ...] = ()
    organizer_name: str | None = None
    zone_definition: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict (``zone_definition`` only when there is one)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        # Versions recorded before zones were carried keep the digest they were stored with.
        if data["zone_definition"] is None:
            del data["zone_definition"]
        data["rdates"] = list(self.rdates)
        data["exdates"] = list(self.exdates)
        data["attendees"] = [a.as_dict() for a in self.attendees]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventDetails:
        """Rebuild from :meth:`as_dict` output."""
        return cls(
            **{
                **data,
                "rdates": tuple(data.get("rdates", ())),
                "exdates": tuple(data.get("exdates", ())),
                "attendees": tuple(Attendee.from_dict(a) for a in data.get("attendees", ())),
            }
        )

    def digest(self) -> str:
        """Return a stable hash of the content, used to tell versions apart."""
        text = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Component:
    """One VEVENT of an iTIP message: the master (``recurrence_id`` None) or one instance."""

    sequence: int = 0
    dtstamp: datetime | None = None
    recurrence_id: str | None = None
    this_and_future: bool = False
    details: EventDetails = field(default_factory=EventDetails)

    @property
    def key(self) -> str:
        """Return the key its ordering is tracked under (docs/architecture.md, iTIP rules)."""
        return self.recurrence_id or MASTER
