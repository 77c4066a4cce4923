"""Use case: an attendee's answer to a copy the server sent, attributed by its reply token."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.results import Decision
from application.stores import Loader
from domain.attendance import Attendance, Reply
from domain.delivery import FORWARDED, Delivery, delivery_id
from domain.identity import attendance_id
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.outcomes import Outcome, Verdict
from domain.reply_tokens import reply_token
from domain.values import Attendee, Method


def handle_token_reply(
    message: ItipMessage, token: str, load: Loader, *, secret: bytes, now: datetime
) -> Decision:
    """Apply a REPLY, COUNTER or REFRESH that came to ``rsvp+TOKEN@``, or quarantine it."""
    delivery = load(Delivery, delivery_id(token))
    if delivery is None:
        return _quarantine("its reply address does not match any invitation this server sent")
    if message.uid.split("@", 1)[0] != str(delivery.invite):
        return _quarantine(
            f"it answers UID {message.uid}, but its reply address was issued for another invite"
        )
    responders = [a for c in message.components for a in c.details.attendees]
    if not responders:
        return _quarantine(f"the {message.method} carries no ATTENDEE")
    attendee = responders[0]
    forwarded_by: str | None = None
    if attendee.address != delivery.address:
        other = load(Delivery, delivery_id(reply_token(secret, delivery.invite, attendee.address)))
        if other is not None and other.origin != FORWARDED:
            return _quarantine(
                f"it answers for {attendee.address}, but its reply address belongs to "
                f"{delivery.address}; an attendee can only answer for themselves"
            )
        forwarded_by = delivery.address
    if message.method is Method.REPLY:
        return _record_reply(message, delivery, attendee, forwarded_by, load, now)
    invite = load(Invite, delivery.invite)
    if invite is None:  # pragma: no cover - a delivery is only made for a stored invite
        return _quarantine("its invite no longer exists")
    component = message.components[0]
    if message.method is Method.COUNTER:
        verdict = invite.propose_counter(
            attendee=attendee.address,
            recurrence_id=component.recurrence_id,
            proposal=component.details,
            comment=message.comment,
            dtstamp=component.dtstamp,
            now=now,
        )
    else:
        verdict = invite.request_refresh(
            attendee=attendee.address, dtstamp=component.dtstamp, now=now
        )
    return Decision(verdict, invite.id, [invite])


def _record_reply(
    message: ItipMessage,
    delivery: Delivery,
    attendee: Attendee,
    forwarded_by: str | None,
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
        )
        outcomes.append(stream.record_reply(reply, now))
    if Outcome.RSVP in outcomes:
        # A forwarded copy's answer lands in the forwardee's own stream, marked forwarded_by.
        return Decision(Verdict(Outcome.RSVP), invite, [stream])
    if all(o is Outcome.DUPLICATE for o in outcomes):
        return Decision(Verdict(Outcome.DUPLICATE, "this reply is already recorded"), invite)
    return Decision(Verdict(Outcome.STALE, "a newer reply from this attendee is recorded"), invite)


def _quarantine(why: str) -> Decision:
    return Decision(
        Verdict(Outcome.REJECTED, f"quarantined: {why}; the message is kept, nothing changed")
    )
