"""Use case: an attendee's answer to a copy the server sent, attributed by its reply token."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from application.inbound.attendee_messages import quarantine, record_proposal
from application.inbound.senders import SenderCheck
from application.outbound.roster import add_to_roster
from application.results import Decision
from application.stores import Loader
from domain.attendance import Attendance, Reply
from domain.authentication import SenderPolicy
from domain.delivery import FORWARDED, Delivery, delivery_id
from domain.distribution import Distribution, distribution_id
from domain.identity import attendance_id
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.outcomes import Outcome, Verdict
from domain.reply_tokens import reply_token
from domain.roster import RosterPage
from domain.values import Attendee, Method


def handle_token_reply(
    message: ItipMessage,
    token: str,
    load: Loader,
    *,
    secret: bytes,
    check: SenderCheck,
    policy: SenderPolicy,
    now: datetime,
) -> Decision:
    """Apply a REPLY, COUNTER or REFRESH that came to ``rsvp+TOKEN@``, or quarantine it.

    The token vouches for its own recipient. Someone answering a forwarded copy must be
    the verified sender of the answer, and one token enrols only a few such people.
    """
    delivery = load(Delivery, delivery_id(token))
    if delivery is None:
        return quarantine("its reply address does not match any invitation this server sent")
    if message.uid.split("@", 1)[0] != str(delivery.invite):
        return quarantine(
            f"it answers UID {message.uid}, but its reply address was issued for another invite"
        )
    responders = [a for c in message.components for a in c.details.attendees]
    if not responders:
        return quarantine(f"the {message.method} carries no ATTENDEE")
    attendee = responders[0]
    forwarded_by: str | None = None
    if attendee.address != delivery.address:
        other = load(Delivery, delivery_id(reply_token(secret, delivery.invite, attendee.address)))
        if other is not None and other.origin != FORWARDED:
            return quarantine(
                f"it answers for {attendee.address}, but its reply address belongs to "
                f"{delivery.address}; an attendee can only answer for themselves"
            )
        refusal = _forwardee_refusal(message, attendee.address, other, delivery, check, policy)
        if refusal is not None:
            return quarantine(refusal)
        forwarded_by = delivery.address
    else:
        check.vouched = "the recipient's reply address"
    if message.method is Method.REPLY:
        decision = _record_reply(
            message, delivery, attendee, forwarded_by, check.vouched, load, now
        )
        if forwarded_by is not None and decision.verdict.outcome is Outcome.RSVP:
            decision.changed += _enrol_forwardee(load, delivery, attendee, secret, now)
        return decision
    invite = load(Invite, delivery.invite)
    if invite is None:  # pragma: no cover - a delivery is only made for a stored invite
        return quarantine("its invite no longer exists")
    return record_proposal(invite, message, attendee.address, now)


def _record_reply(
    message: ItipMessage,
    delivery: Delivery,
    attendee: Attendee,
    forwarded_by: str | None,
    vouched: str | None,
    load: Loader,
    now: datetime,
) -> Decision:
    invite: UUID = delivery.invite
    stream = load(Attendance, attendance_id(invite, attendee.address))
    stream = stream or Attendance(invite=invite, address=attendee.address, timestamp=now)
    outcomes = []
    for component in message.components:
        answer = next(
            (a for a in component.details.attendees if a.address == attendee.address), attendee
        )
        reply = Reply(
            partstat=answer.partstat,
            dtstamp=component.dtstamp,
            sequence=component.sequence,
            recurrence_id=component.recurrence_id,
            name=answer.name,
            prodid=message.prodid,
            comment=message.comment,
            delegated_to=answer.delegated_to,
            delegated_from=answer.delegated_from,
            channel="server",
            forwarded_by=forwarded_by,
            verified_by=vouched,
        )
        outcomes.append(stream.record_reply(reply, now))
    if Outcome.RSVP in outcomes:
        # A forwarded copy's answer lands in the forwardee's own stream, marked forwarded_by.
        return Decision(Verdict(Outcome.RSVP), invite, [stream])
    if all(o is Outcome.DUPLICATE for o in outcomes):
        return Decision(Verdict(Outcome.DUPLICATE, "this reply is already recorded"), invite)
    return Decision(Verdict(Outcome.STALE, "a newer reply from this attendee is recorded"), invite)


def _forwardee_refusal(
    message: ItipMessage,
    address: str,
    enrolled: Delivery | None,
    delivery: Delivery,
    check: SenderCheck,
    policy: SenderPolicy,
) -> str | None:
    """Return why an answer from a forwarded copy may not count for ``address``, or None."""
    if policy is SenderPolicy.OFF:
        believed = message.sender == address and len(message.from_addresses) <= 1
        check.vouched = "nobody: sender policy off"
    else:
        believed = check.vouches_for(address, message.from_addresses)
        check.vouched = "DMARC alignment of a forwardee's answer" if believed else None
    if not believed:
        return (
            f"it answers for {address} through {delivery.address}'s reply address, and its "
            f"sender is not verified as {address}"
        )
    if enrolled is None and delivery.forwardees >= Delivery.MAX_FORWARDEES:
        return (
            f"{delivery.address}'s copy has already brought {delivery.forwardees} answers "
            "from people it was forwarded to, the most one invitation may"
        )
    return None


def _enrol_forwardee(
    load: Loader, delivery: Delivery, attendee: Attendee, secret: bytes, now: datetime
) -> list[Any]:
    """Put someone who answered a forwarded copy on the roster, so reports show them.

    They get a delivery of origin ``forwarded``: never sent anything by us, never sent
    updates (the organizer did not invite them), but counted and reported.
    """
    token = reply_token(secret, delivery.invite, attendee.address)
    if load(Delivery, delivery_id(token)) is not None:
        return []
    distribution = load(Distribution, distribution_id(delivery.invite))
    if distribution is None:  # pragma: no cover - a delivery implies a distribution
        return []
    delivery.enrol_forwardee(address=attendee.address, timestamp=now)
    forwardee = Delivery(
        token=token,
        invite=delivery.invite,
        address=attendee.address,
        name=attendee.name,
        origin=FORWARDED,
        timestamp=now,
    )
    pages: dict[int, RosterPage] = {}
    add_to_roster(load, distribution, token, pages, now)
    return [delivery, forwardee, distribution, *pages.values()]
