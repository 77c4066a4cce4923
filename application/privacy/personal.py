"""Which fields of which events and snapshots are personal, and whose.

Each entry names the person a stored event is about (a field holding their address, or the
person its aggregate was first noted as about) and the fields sealed with that person's key,
each with what it reads as once they are erased. Value objects that carry their own person
(:class:`~domain.values.Attendee`) or belong to the event's person
(:class:`~domain.attendance.Reply`) are sealed by their transcodings (see ``sealing``).

Organizers' own data (their address on their invites, sign-in records) is not here: erasure is
the recipients' right this server serves; an organizer leaves by deleting their account data
with the operator (README, "Deliverability and privacy").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from application.privacy.keys import is_placeholder
from domain.attendance import Attendance
from domain.blocks import RecipientBlock
from domain.delivery import Delivery
from domain.indexes import InboundMessage
from domain.invite import Invite
from domain.landings import LandingClaim
from domain.notices import DeferredNotice
from domain.suppressions import Suppression
from domain.webhooks import WebhookMessage

ERASED_TEXT = "[erased]"


def address(placeholder: str) -> str:
    """An erased address reads as its person's placeholder."""
    return placeholder


def nothing(_: str) -> None:
    """An erased name or comment reads as absent."""
    return


def text(_: str) -> str:
    """An erased free text (a bounce message) reads as ``[erased]``."""
    return ERASED_TEXT


def empty(_: str) -> dict[str, Any]:
    """An erased mapping reads as empty."""
    return {}


Erased = Callable[[str], Any]
# The person is the one the event's aggregate was noted as about when it was created.
AGGREGATE = "aggregate"


def person(value: object) -> str | None:
    """Return ``value`` if it is someone's address (not an erased person's placeholder)."""
    if isinstance(value, str) and "@" in value and not is_placeholder(value):
        return value
    return None


def _field(name: str) -> Callable[[Mapping[str, Any]], str | None]:
    def owner(state: Mapping[str, Any]) -> str | None:
        return person(state.get(name))

    return owner


def _attendee_fact(state: Mapping[str, Any]) -> str | None:
    facts = state.get("facts") or {}
    return person(facts.get("attendee")) if isinstance(facts, Mapping) else None


def _voucher(state: Mapping[str, Any]) -> str | None:
    sender = state.get("sender") or {}
    return person(sender.get("vouched_by")) if isinstance(sender, Mapping) else None


@dataclass(frozen=True)
class Personal:
    """The person of a stored event (or snapshot state) and its fields sealed for them."""

    owner: Callable[[Mapping[str, Any]], str | None] | str
    fields: Mapping[str, Erased] = field(default_factory=dict)
    # Addresses of someone else than the owner, each sealed with its own person's key.
    others: Mapping[str, Erased] = field(default_factory=dict)
    # Whether the stream is noted as about its owner (so later events find the person).
    notes_stream: bool = False


_ATTENDANCE = Personal(_field("address"), {"address": address}, notes_stream=True)
_DELIVERY = Personal(_field("address"), {"address": address, "name": nothing}, notes_stream=True)
_FAILURE = Personal(AGGREGATE, {"reason": text})


def _event(aggregate: type[Any], name: str) -> type[Any]:
    # eventsourcing makes these classes at import: mypy cannot see them (see projections.events).
    found: type[Any] = getattr(aggregate, name)
    return found


EVENTS: Mapping[type[Any], Personal] = {
    _event(Attendance, "Created"): _ATTENDANCE,
    _event(Attendance, "ReplyRecorded"): Personal(AGGREGATE),
    _event(Delivery, "Invited"): _DELIVERY,
    _event(Delivery, "SendFailed"): _FAILURE,
    _event(Delivery, "Bounced"): _FAILURE,
    _event(Delivery, "ForwardeeEnrolled"): Personal(AGGREGATE, others={"address": address}),
    _event(Suppression, "Started"): Personal(
        _field("address"), {"address": address}, notes_stream=True
    ),
    _event(LandingClaim, "Claimed"): Personal(
        _field("address"), {"address": address}, notes_stream=True
    ),
    _event(RecipientBlock, "Blocked"): Personal(
        _field("recipient"), {"recipient": address}, notes_stream=True
    ),
    _event(InboundMessage, "Processed"): Personal(
        _voucher, {"sender": nothing, "reason": text}, notes_stream=True
    ),
    _event(DeferredNotice, "Deferred"): Personal(
        _attendee_fact,
        {"title": nothing, "facts": empty, "attachment": nothing, "attachment_name": nothing},
        notes_stream=True,
    ),
    # A webhook message's payload may name an attendee or recipient: sealed with their key.
    _event(WebhookMessage, "Created"): Personal(
        _field("person"), {"person": address, "payload": text}, notes_stream=True
    ),
    _event(Invite, "CounterProposed"): Personal(
        _field("attendee"), {"attendee": address, "comment": nothing}
    ),
}

# Snapshots: the aggregate's state, by aggregate class (only snapshotted aggregates).
SNAPSHOTS: Mapping[type[Any], Personal] = {
    Attendance: Personal(_field("address"), {"address": address}),
}
