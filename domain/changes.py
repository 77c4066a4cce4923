"""What changed between two versions of an event, in the words organizers use."""

from __future__ import annotations

from domain.values import EventDetails

# Field groups as docs/architecture.md (iTIP rules) names them: an update says which changed.
_GROUPS: dict[str, tuple[str, ...]] = {
    "time": ("start", "end", "timezone", "zone_definition", "all_day"),
    "title": ("summary",),
    "description": ("description",),
    "location": ("location",),
    "recurrence": ("rrule", "rdates", "exdates"),
    "status": ("status",),
}


def changed_fields(before: EventDetails | None, after: EventDetails) -> tuple[str, ...]:
    """Return the sorted names of the field groups that differ between two versions."""
    if before is None:
        before = EventDetails()
    changed = [
        group
        for group, names in _GROUPS.items()
        if any(getattr(before, n) != getattr(after, n) for n in names)
    ]
    if _roster(before) != _roster(after):
        changed.append("attendees")
    return tuple(sorted(changed))


def _roster(details: EventDetails) -> set[tuple[str, str | None]]:
    # Partstats in an organizer's REQUEST echo replies; only who is invited, and how, is a change.
    return {(a.address, a.role) for a in details.attendees}


def overlay(before: EventDetails | None, cancel: EventDetails) -> EventDetails:
    """Return the details a cancellation leaves: what the CANCEL says, the rest as before.

    A CANCEL often carries only some properties; the title and time people knew stay visible.
    The time fields travel together, so a timed CANCEL never half-overwrites an all-day event.
    """
    if before is None:
        return cancel
    time_source = cancel if cancel.start is not None else before
    return EventDetails(
        summary=cancel.summary if cancel.summary is not None else before.summary,
        description=cancel.description if cancel.description is not None else before.description,
        location=cancel.location if cancel.location is not None else before.location,
        start=time_source.start,
        end=time_source.end,
        timezone=time_source.timezone,
        zone_definition=time_source.zone_definition,
        all_day=time_source.all_day,
        rrule=cancel.rrule if cancel.rrule is not None else before.rrule,
        rdates=cancel.rdates or before.rdates,
        exdates=cancel.exdates or before.exdates,
        status=cancel.status if cancel.status is not None else before.status,
        attendees=cancel.attendees or before.attendees,
        organizer_name=cancel.organizer_name or before.organizer_name,
    )
