"""The invite summary: a fold of one invite's own events, nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.domain import DomainEvent

from application.projections import events as ev
from domain.values import EventDetails

Summary = dict[str, Any]

# Sorts after every real time: invites without a start go last in "by start" lists.
NO_START = "~"


def evolve_summary(summary: Summary | None, event: DomainEvent) -> Summary | None:
    """Return the invite summary after ``event`` (None: the event says nothing about it)."""
    kind, facts = type(event), vars(event)
    if kind is ev.INVITE_CREATED:
        return {
            "invite": str(event.originator_id),
            "organizer": facts["organizer"],
            "organizer_name": facts["organizer_name"],
            "domain": domain_of(facts["organizer"]),
            "uid": facts["uid"],
            "status": "confirmed",
            "sequence": 0,
            "master_sequence": None,
            "update_count": 0,
            "counter_count": 0,
            "created": _iso(event.timestamp),
            "last_modified": _iso(event.timestamp),
            **_shown(EventDetails()),
        }
    if summary is None:
        return None
    new = dict(summary)
    if kind in (ev.INVITE_SCHEDULED, ev.INVITE_UPDATED, ev.INVITE_CANCELLED):
        new |= _shown(facts["details"])
        new["master_sequence"] = new["sequence"] = facts["revision"].sequence
        new["status"] = "cancelled" if kind is ev.INVITE_CANCELLED else "confirmed"
        new["update_count"] = facts.get("update_count", new["update_count"])
    elif kind in (ev.INVITE_INSTANCE_OVERRIDDEN, ev.INVITE_INSTANCE_CANCELLED):
        new["update_count"] = facts.get("update_count", new["update_count"])
        if new["master_sequence"] is None and kind is ev.INVITE_INSTANCE_OVERRIDDEN:
            # Without a master, replies are measured against the newest REQUEST of any
            # instance (Invite.sequence): cancelling one instance resets no answer.
            new["sequence"] = max(new["sequence"], facts["revision"].sequence)
    elif kind is ev.INVITE_COUNTER_PROPOSED:
        new["counter_count"] += 1
        return new
    elif kind is ev.INVITE_LATE_VERSION_RECORDED:
        if new["master_sequence"] is None:
            # A REQUEST that lost to a cancellation is still the newest REQUEST of its instance.
            new["sequence"] = max(new["sequence"], facts["revision"].sequence)
    else:
        return summary
    new["last_modified"] = _iso(event.timestamp)
    return new


def _shown(details: EventDetails) -> Summary:
    return {
        "title": details.summary,
        "location": details.location,
        "start": details.start,
        "end": details.end,
        "timezone": details.timezone,
        "all_day": details.all_day,
        "starts_at": start_key(details.start),
    }


def start_key(start: str | None) -> str:
    """Return a sortable UTC form of an ISO start (floating times taken as UTC)."""
    if not start:
        return NO_START
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        return NO_START
    if len(start) == 10:  # a date: all-day events start at its first moment
        moment = datetime.combine(date.fromisoformat(start), datetime.min.time())
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def domain_of(address: str) -> str:
    """Return the domain part of an address, lower-cased."""
    return address.rpartition("@")[2].lower()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
