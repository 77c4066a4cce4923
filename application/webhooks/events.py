"""Which stored events become webhook messages, and what each message says.

Each domain event of interest maps to at most one webhook event: its type, the organizer whose
invite it is about (None: a server-wide fact, for admins' endpoints only), the person it names
(sealed with their key in the stored message) and the payload's ``data``. The ``webhook-id``
is derived from the event's stream and version (``domain.webhooks.webhook_id``), so a
redelivered event is the same message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from application.access import mask_address
from application.stores import Loader
from domain.attendance import Attendance
from domain.delivery import Delivery
from domain.distribution import Distribution
from domain.invite import Invite
from domain.suppressions import ALL, Suppression, SuppressionReason
from domain.values import EventDetails
from domain.webhooks import WebhookEndpoint, webhook_id


@dataclass(frozen=True)
class Outgoing:
    """One webhook event, before it is addressed to endpoints."""

    webhook_id: str
    event_type: str
    organizer: str | None
    person: str | None
    occurred: datetime
    data: dict[str, Any]

    def shown_to(self, endpoint: WebhookEndpoint) -> Outgoing:
        """Return this event as ``endpoint`` may see it: the people it names masked
        (``a***@example.org``) for an endpoint that may not see addresses."""
        if endpoint.sees_addresses or self.person is None:
            return self
        data = {
            name: mask_address(value) if name in _PEOPLE and isinstance(value, str) else value
            for name, value in self.data.items()
        }
        return replace(self, data=data, person=None)

    def body(self) -> str:
        """Return the payload as sent (Standard Webhooks' shape): type, timestamp, data."""
        payload = {
            "type": self.event_type,
            "timestamp": self.occurred.isoformat(),
            "data": self.data,
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# The fields of ``data`` that name a person (``Outgoing.person``).
_PEOPLE = frozenset({"attendee", "recipient"})


def _event(aggregate: type[Any], name: str) -> type[Any]:
    # eventsourcing makes these classes at import: mypy cannot see them.
    found: type[Any] = getattr(aggregate, name)
    return found


_INVITE_UPDATED = (_event(Invite, "Updated"), _event(Invite, "InstanceOverridden"))
_INVITE_CANCELLED = (_event(Invite, "Cancelled"), _event(Invite, "InstanceCancelled"))
_MAPPED: tuple[type[Any], ...] = (
    _event(Invite, "Created"),
    *_INVITE_UPDATED,
    *_INVITE_CANCELLED,
    _event(Distribution, "UpdateHeld"),
    _event(Attendance, "ReplyRecorded"),
    _event(Delivery, "SendFailed"),
    _event(Delivery, "Bounced"),
    _event(Suppression, "Suppressed"),
    _event(Distribution, "BulkSendFinished"),
)
# The stored topics of the events above: the log is read for these only.
TOPICS = tuple(get_topic(cls) for cls in _MAPPED)


def _details(details: EventDetails | None) -> dict[str, Any]:
    if details is None:
        return {}
    return {
        "title": details.summary,
        "start": details.start,
        "end": details.end,
        "timezone": details.timezone,
        "location": details.location,
        "status": details.status,
    }


class EventMapper:
    """Turns domain events into webhook events, loading what they refer to (cached per
    mapper: an invite's organizer never changes)."""

    def __init__(self, load: Loader) -> None:
        self.load = load
        self._invites: dict[UUID, Invite | None] = {}

    def invite(self, invite_id: UUID) -> Invite | None:
        """Return the invite (loaded once per mapper)."""
        if invite_id not in self._invites:
            if len(self._invites) > 10_000:
                self._invites.clear()
            self._invites[invite_id] = self.load(Invite, invite_id)
        return self._invites[invite_id]

    def __call__(self, event: DomainEventProtocol[UUID]) -> Outgoing | None:
        """Return the webhook event of ``event``, or None when it is not one."""
        handler = _HANDLERS.get(type(event))
        return handler(self, event) if handler is not None else None


def _outgoing(
    event: Any, kind: str, organizer: str | None, data: dict[str, Any], person: str | None = None
) -> Outgoing:
    stream = event.originator_id
    stream = stream if isinstance(stream, UUID) else UUID(str(stream))
    return Outgoing(
        webhook_id(stream, int(event.originator_version)),
        kind,
        organizer,
        person,
        event.timestamp,
        data,
    )


def _created(mapper: EventMapper, event: Any) -> Outgoing:
    invite = mapper.invite(event.originator_id)
    shown = None
    if invite is not None:
        shown = invite.master or next(iter(invite.occurrences.values()), None)
    data = {
        "invite": str(event.originator_id),
        "organizer": event.organizer,
        "uid": event.uid,
        **_details(shown.details if shown else None),
    }
    return _outgoing(event, "invite.created", event.organizer, data)


def _changed(kind: str) -> Callable[[EventMapper, Any], Outgoing | None]:
    def handler(mapper: EventMapper, event: Any) -> Outgoing | None:
        invite = mapper.invite(event.originator_id)
        if invite is None:
            return None
        data = {
            "invite": str(event.originator_id),
            "organizer": invite.organizer,
            "uid": invite.uid,
            "recurrence_id": getattr(event, "recurrence_id", None),
            "sequence": event.revision.sequence,
            **_details(event.details),
        }
        if kind == "invite.updated":
            data["changed"] = list(event.changed_fields)
        return _outgoing(event, kind, invite.organizer, data)

    return handler


def _held(mapper: EventMapper, event: Any) -> Outgoing | None:
    distribution = mapper.load(Distribution, event.originator_id)
    invite = mapper.invite(distribution.invite) if distribution is not None else None
    if invite is None:
        return None
    data = {"invite": str(invite.id), "organizer": invite.organizer, "uid": invite.uid}
    return _outgoing(event, "invite.held", invite.organizer, data)


def _answer(mapper: EventMapper, event: Any) -> Outgoing | None:
    attendance = mapper.load(Attendance, event.originator_id)
    invite = mapper.invite(attendance.invite) if attendance is not None else None
    if attendance is None or invite is None:
        return None
    reply = event.reply
    data = {
        "invite": str(invite.id),
        "organizer": invite.organizer,
        "attendee": attendance.address,
        "status": reply.partstat,
        "recurrence_id": reply.recurrence_id,
        "channel": reply.channel,
        "client": reply.prodid,
    }
    return _outgoing(event, "answer.recorded", invite.organizer, data, attendance.address)


def _delivery(kind: str) -> Callable[[EventMapper, Any], Outgoing | None]:
    def handler(mapper: EventMapper, event: Any) -> Outgoing | None:
        if kind == "delivery.failed" and not event.permanent:
            return None  # a temporary failure is retried: nothing to report yet
        delivery = mapper.load(Delivery, event.originator_id)
        invite = mapper.invite(delivery.invite) if delivery is not None else None
        if delivery is None or invite is None:
            return None
        data: dict[str, Any] = {
            "invite": str(invite.id),
            "organizer": invite.organizer,
            "recipient": delivery.address,
            "reason": event.reason,
        }
        if kind == "delivery.failed":
            data["sequence"] = event.sequence
        return _outgoing(event, kind, invite.organizer, data, delivery.address)

    return handler


def _unsubscribed(mapper: EventMapper, event: Any) -> Outgoing | None:
    if event.reason != SuppressionReason.UNSUBSCRIBED.value:
        return None
    suppression = mapper.load(Suppression, event.originator_id)
    if suppression is None:
        return None
    organizer = None if event.scope == ALL else event.scope
    data = {"recipient": suppression.address, "organizer": organizer}
    return _outgoing(event, "recipient.unsubscribed", organizer, data, suppression.address)


def _bulk_finished(mapper: EventMapper, event: Any) -> Outgoing | None:
    distribution = mapper.load(Distribution, event.originator_id)
    invite = mapper.invite(distribution.invite) if distribution is not None else None
    if invite is None:
        return None
    data = {
        "invite": str(invite.id),
        "organizer": invite.organizer,
        "uid": invite.uid,
        "counts": dict(event.counts),
        "invalid": event.invalid,
        "part": event.part,
        "parts": event.parts,
    }
    return _outgoing(event, "bulk.finished", invite.organizer, data)


_HANDLERS: dict[type[Any], Callable[[EventMapper, Any], Outgoing | None]] = {
    _event(Invite, "Created"): _created,
    **{cls: _changed("invite.updated") for cls in _INVITE_UPDATED},
    **{cls: _changed("invite.cancelled") for cls in _INVITE_CANCELLED},
    _event(Distribution, "UpdateHeld"): _held,
    _event(Attendance, "ReplyRecorded"): _answer,
    _event(Delivery, "SendFailed"): _delivery("delivery.failed"),
    _event(Delivery, "Bounced"): _delivery("delivery.bounced"),
    _event(Suppression, "Suppressed"): _unsubscribed,
    _event(Distribution, "BulkSendFinished"): _bulk_finished,
}
