"""Use case: an organizer's REQUEST or CANCEL creates, updates or cancels an invite."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from application.inbound.organizer_rule import speaks_for
from application.inbound.senders import Policies, SenderCheck
from application.results import Decision
from application.stores import Loader
from domain.identity import invite_id, uid_index_id
from domain.indexes import UidIndex
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.organizer import Organizer
from domain.outcomes import Outcome, Verdict
from domain.values import Component, EventDetails, Method

# Names the dashboard as the client of a cancellation made through the API.
API_PRODID = "-//Calendar Invite Server//API//EN"


def handle_organizer_message(
    message: ItipMessage,
    load: Loader,
    *,
    check: SenderCheck,
    policies: Policies,
    open_registry: bool,
    relays: frozenset[str],
    now: datetime,
) -> Decision:
    """Apply a REQUEST or CANCEL from the organizer of record, if it is really theirs."""
    organizer, registered, refusal = speaks_for(
        message.organizer,
        message.sent_by,
        message.from_addresses,
        message.sender,
        load=load,
        check=check,
        policies=policies,
        relays=relays,
    )
    if organizer is None:
        return Decision(Verdict(Outcome.REJECTED, refusal))
    refusal = refusal or _registry_refusal(registered, organizer, open_registry=open_registry)
    if refusal is not None:
        return Decision(Verdict(Outcome.REJECTED, refusal))
    the_id = invite_id(organizer, message.uid)
    invite = load(Invite, the_id)
    if invite is not None:
        return Decision(invite.receive(message, now), the_id, [invite])
    return _create(message, organizer, registered, load, now)


def _registry_refusal(
    registered: Organizer | None, address: str, *, open_registry: bool
) -> str | None:
    if registered is not None:
        return registered.refusal()
    if open_registry:
        return None
    return (
        f"organizer {address} is not registered on this server; ask its operator to "
        f"allow the address {address}"
    )


def _create(
    message: ItipMessage,
    organizer: str,
    registered: Organizer | None,
    load: Loader,
    now: datetime,
) -> Decision:
    refusal = registered.creation_refusal() if registered is not None else None
    if refusal is not None:
        return Decision(Verdict(Outcome.REJECTED, refusal))
    invite = Invite(
        organizer=organizer,
        organizer_name=message.organizer_name,
        uid=message.uid,
        timestamp=now,
    )
    invite.receive(message, now)
    index = load(UidIndex, uid_index_id(message.uid)) or UidIndex(uid=message.uid, timestamp=now)
    index.add(invite=invite.id, timestamp=now)
    changed: list[Any] = [invite, index]
    # Counting writes the organizer's stream on every creation, one key shared by all their
    # invites: only organizers with an event limit need the count, so only they pay for it.
    if registered is not None and registered.max_events is not None:
        registered.count_invite(invite=invite.id, timestamp=now)
        changed.append(registered)
    created = Outcome.CANCELLED if message.method is Method.CANCEL else Outcome.CREATED
    return Decision(Verdict(created), invite.id, changed)


def organizer_cancel(invite: Invite, now: datetime) -> ItipMessage:
    """Return the CANCEL the organizer would send to cancel the whole invite now."""
    master = invite.master
    component = Component(
        sequence=invite.sequence + 1,
        dtstamp=now,
        details=master.details if master is not None else EventDetails(),
    )
    return ItipMessage(
        Method.CANCEL,
        invite.uid,
        (component,),
        organizer=invite.organizer,
        organizer_name=invite.organizer_name,
        sender=invite.organizer,
        prodid=API_PRODID,
    )
