"""An invite's current state as the CLI shows it (its history: application.reading.history)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from application.reading.history import jsonable
from domain.invite import Invite
from domain.occurrence import Occurrence
from domain.values import MASTER, EventDetails


@dataclass(frozen=True)
class AttendeeView:
    """One attendee as the organizer invited them, with the answer that counts now."""

    address: str
    name: str | None
    partstat: str
    role: str | None
    replied: bool


@dataclass(frozen=True)
class InstanceView:
    """One overridden or cancelled occurrence of a recurring event."""

    recurrence_id: str
    status: str
    sequence: int
    summary: str | None
    start: str | None
    end: str | None


@dataclass(frozen=True)
class InviteView:
    """The current state of one invite, as it is shown."""

    invite: UUID
    uid: str
    organizer: str
    organizer_name: str | None
    summary: str | None
    description: str | None
    location: str | None
    start: str | None
    end: str | None
    timezone: str | None
    all_day: bool
    rrule: str | None
    sequence: int
    status: str
    update_count: int
    counter_count: int
    last_changed: datetime | None
    attendees: tuple[AttendeeView, ...]
    instances: tuple[InstanceView, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape of the invite shown (keys are a stable contract)."""
        return {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}


def _status(occurrence: Occurrence | None) -> str:
    return "cancelled" if occurrence is not None and occurrence.cancelled else "confirmed"


def invite_view(invite: Invite, answers: dict[str, str]) -> InviteView:
    """Build the view of an invite; ``answers`` maps attendee address to the counting PARTSTAT."""
    master = invite.master
    shown = master or invite.occurrences[min(invite.occurrences)]
    details: EventDetails = shown.details
    return InviteView(
        invite=invite.id,
        uid=invite.uid,
        organizer=invite.organizer,
        organizer_name=details.organizer_name or invite.organizer_name,
        summary=details.summary,
        description=details.description,
        location=details.location,
        start=details.start,
        end=details.end,
        timezone=details.timezone,
        all_day=details.all_day,
        rrule=details.rrule,
        sequence=invite.sequence,
        status=_status(master),
        update_count=invite.update_count,
        counter_count=invite.counter_count,
        last_changed=invite.last_changed,
        attendees=tuple(
            AttendeeView(
                address=a.address,
                name=a.name,
                partstat=answers.get(a.address, a.partstat),
                role=a.role,
                replied=a.address in answers,
            )
            for a in details.attendees
        ),
        instances=tuple(
            InstanceView(
                recurrence_id=key,
                status=_status(o),
                sequence=o.revision.sequence,
                summary=o.details.summary,
                start=o.details.start,
                end=o.details.end,
            )
            for key, o in sorted(invite.occurrences.items())
            if key != MASTER
        ),
    )
