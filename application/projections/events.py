"""The aggregate events the views are made of, named by their classes.

eventsourcing makes one class per ``@event`` method when the aggregate's module is imported,
so mypy cannot see them; they are looked up here, once, at import. Renaming an ``@event``
method therefore breaks this import (and the coverage test), not the views silently.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, DomainEvent

from domain.attendance import Attendance
from domain.delivery import Delivery
from domain.distribution import Distribution
from domain.invite import Invite

EventClass = type[DomainEvent]

# The aggregates whose streams feed views: every event of theirs is projected or ignored.
PROJECTED_AGGREGATES: tuple[type[Aggregate], ...] = (Invite, Distribution, Delivery, Attendance)

_invite: Any = Invite
_distribution: Any = Distribution
_delivery: Any = Delivery
_attendance: Any = Attendance

INVITE_CREATED: EventClass = _invite.Created
INVITE_SCHEDULED: EventClass = _invite.Scheduled
INVITE_UPDATED: EventClass = _invite.Updated
INVITE_CANCELLED: EventClass = _invite.Cancelled
INVITE_INSTANCE_OVERRIDDEN: EventClass = _invite.InstanceOverridden
INVITE_INSTANCE_CANCELLED: EventClass = _invite.InstanceCancelled
INVITE_LATE_VERSION_RECORDED: EventClass = _invite.LateVersionRecorded
INVITE_COUNTER_PROPOSED: EventClass = _invite.CounterProposed
INVITE_SENDER_NOTED: EventClass = _invite.SenderNoted
INVITE_REFRESH_REQUESTED: EventClass = _invite.RefreshRequested

DISTRIBUTION_OPENED: EventClass = _distribution.Opened
DISTRIBUTION_VERSION_PUBLISHED: EventClass = _distribution.VersionPublished
DISTRIBUTION_UPDATE_HELD: EventClass = _distribution.UpdateHeld
DISTRIBUTION_UPDATE_APPROVED: EventClass = _distribution.UpdateApproved
DISTRIBUTION_ROSTER_PAGE_OPENED: EventClass = _distribution.RosterPageOpened
DISTRIBUTION_BULK_SEND_FINISHED: EventClass = _distribution.BulkSendFinished
# The base class's creation event, never emitted: Distribution is created by Opened.
DISTRIBUTION_CREATED: EventClass = _distribution.Created

DELIVERY_INVITED: EventClass = _delivery.Invited
DELIVERY_SENT: EventClass = _delivery.Sent
DELIVERY_SEND_FAILED: EventClass = _delivery.SendFailed
DELIVERY_BOUNCED: EventClass = _delivery.Bounced
DELIVERY_FORWARDEE_ENROLLED: EventClass = _delivery.ForwardeeEnrolled
DELIVERY_SEND_INTENDED: EventClass = _delivery.SendIntended
DELIVERY_SEND_CLAIMED: EventClass = _delivery.SendClaimed
# The base class's creation event, never emitted: Delivery is created by Invited.
DELIVERY_CREATED: EventClass = _delivery.Created

ATTENDANCE_CREATED: EventClass = _attendance.Created
ATTENDANCE_REPLY_RECORDED: EventClass = _attendance.ReplyRecorded


def events_of(aggregate: type[Aggregate]) -> frozenset[EventClass]:
    """Return every event class the aggregate defines (its ``Event``'s subclasses, found by
    introspection, so a new ``@event`` method shows up here without being named)."""
    base: type[DomainEvent] = getattr(aggregate, "Event")  # noqa: B009 - mypy: see above
    found: set[EventClass] = set()
    pending = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.__qualname__.startswith(f"{aggregate.__qualname__}.") and cls not in found:
            found.add(cls)
            pending.extend(cls.__subclasses__())
    return frozenset(found)
