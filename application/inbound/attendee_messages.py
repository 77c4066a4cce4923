"""Use cases: an attendee's REPLY, COUNTER or REFRESH reaches the invite."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from application.inbound.senders import SenderCheck, single_sender
from application.results import Decision
from application.stores import Loader
from domain.attendance import Attendance, Reply
from domain.authentication import SenderPolicy
from domain.identity import attendance_id, invite_id, uid_index_id
from domain.indexes import UidIndex
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.outcomes import Outcome, Verdict
from domain.values import Attendee, Component, Method


def handle_attendee_message(
    message: ItipMessage,
    load: Loader,
    *,
    check: SenderCheck,
    policy: SenderPolicy,
    now: datetime,
) -> Decision:
    """Record a REPLY per attendee stream, or a COUNTER / REFRESH on the invite.

    A message to the plain replies mailbox speaks only for its verified sender: under any
    policy but ``off`` the one From must be DMARC-aligned, else it is quarantined.
    """
    speaker, why = verified_speaker(message, check, policy)
    if why is not None:
        return quarantine(why)
    the_id, refusal = _invite_of(message, load)
    if the_id is None:
        return Decision(Verdict(Outcome.REJECTED, refusal))
    if speaker is not None:
        message = replace(message, sender=speaker)
    linked = policy is SenderPolicy.OFF
    if message.method is Method.REPLY:
        return _reply(message, the_id, load, now, linked, check.vouched)
    invite = load(Invite, the_id)
    if invite is None:
        return Decision(
            Verdict(
                Outcome.REJECTED,
                f"{message.method} for an invite this server "
                f"does not know (UID {message.uid}); it has nothing to attach to",
            )
        )
    component = message.components[0]
    responder = _responders(message, component, linked)
    if not responder:
        return Decision(Verdict(Outcome.REJECTED, _no_attendee(message)))
    return record_proposal(invite, message, responder[0].address, now)


def record_proposal(invite: Invite, message: ItipMessage, attendee: str, now: datetime) -> Decision:
    """Record an attendee's COUNTER or REFRESH on the invite; neither changes the event."""
    component = message.components[0]
    if message.method is Method.COUNTER:
        verdict = invite.propose_counter(
            attendee=attendee,
            recurrence_id=component.recurrence_id,
            proposal=component.details,
            comment=message.comment,
            dtstamp=component.dtstamp,
            now=now,
        )
    else:
        verdict = invite.request_refresh(attendee=attendee, dtstamp=component.dtstamp, now=now)
    return Decision(verdict, invite.id, [invite])


def _invite_of(message: ItipMessage, load: Loader) -> tuple[UUID | None, str | None]:
    if message.organizer is not None:
        return invite_id(message.organizer, message.uid), None
    # Some clients drop ORGANIZER from replies; the UID alone is enough when it is unambiguous.
    index = load(UidIndex, uid_index_id(message.uid))
    if index is not None and len(index.invites) == 1:
        return index.invites[0], None
    return None, (
        f"the {message.method} has no ORGANIZER and UID {message.uid} does not name exactly "
        "one invite here, so it cannot be attached to an invite"
    )


def verified_speaker(
    message: ItipMessage, check: SenderCheck, policy: SenderPolicy
) -> tuple[str | None, str | None]:
    """Return (speaker, quarantine reason): whom the message may speak for, or why nobody.

    Under policy ``off`` the From is believed, and a bare file without any sender may
    speak for the one attendee it names (closed networks, tests).
    """
    author, refusal = single_sender(message.from_addresses, message.sender)
    if policy is SenderPolicy.OFF:
        if author is None and (message.from_addresses or message.sender):
            return None, refusal
        check.vouched = "nobody: sender policy off"
        return author, None
    if author is None:
        return None, refusal
    if check.vouches_for(author, message.from_addresses):
        check.vouched = f"DMARC alignment ({check.authentication().aligned_by})"
        return author, None
    return None, (
        f"its sender {author} could not be verified (not DMARC-aligned: "
        f"{check.authentication().summary()}); an answer sent to this mailbox counts only "
        "for an attendee whose own mail service vouches for it"
    )


def quarantine(why: str) -> Decision:
    """Return the decision that keeps a message that may be forged, and changes nothing."""
    return Decision(
        Verdict(Outcome.REJECTED, f"quarantined: {why}; the message is kept, nothing changed")
    )


def _responders(message: ItipMessage, component: Component, linked: bool) -> list[Attendee]:
    """Return the attendees this message speaks for.

    Verified, a message speaks for its sender and nobody else it names. Believed (policy
    ``off``, ``linked``), also for whoever that sender delegated to or from, and a message
    whose sender is no attendee (a bare file, an alias) speaks if it names one attendee.
    """
    attendees = list(component.details.attendees)
    sender = message.sender
    mine = [a for a in attendees if a.address == sender]
    if not linked:
        return mine
    if mine:
        delegates = {*mine[0].delegated_to, *mine[0].delegated_from}
        return mine + [a for a in attendees if a.address in delegates and a not in mine]
    return attendees if len(attendees) == 1 else []


def _no_attendee(message: ItipMessage) -> str:
    attendees = [a.address for c in message.components for a in c.details.attendees]
    if not attendees:
        return (
            f"the {message.method} carries no ATTENDEE, so it does not say who answered; "
            "reply from the invitation in your calendar app"
        )
    return (
        f"the {message.method} from {message.sender} names {len(set(attendees))} attendees "
        f"({', '.join(sorted(set(attendees)))}) and none of them is its sender"
    )


def _reply(
    message: ItipMessage,
    the_id: UUID,
    load: Loader,
    now: datetime,
    linked: bool,
    vouched: str | None,
) -> Decision:
    outcomes: list[Outcome] = []
    changed: list[Attendance] = []
    for component in message.components:
        responders = _responders(message, component, linked)
        if not responders:
            return Decision(Verdict(Outcome.REJECTED, _no_attendee(message)))
        for attendee in responders:
            # The same attendee may answer for several instances in one message.
            stream = next((s for s in changed if s.address == attendee.address), None)
            stream = stream or load(Attendance, attendance_id(the_id, attendee.address))
            stream = stream or Attendance(invite=the_id, address=attendee.address, timestamp=now)
            reply = _reply_of(message, component, attendee, vouched)
            outcomes.append(stream.record_reply(reply, now))
            if stream.pending_events and stream not in changed:
                changed.append(stream)
    return Decision(_combine(outcomes), the_id, list(changed))


def _reply_of(
    message: ItipMessage, component: Component, attendee: Attendee, vouched: str | None
) -> Reply:
    return Reply(
        partstat=attendee.partstat,
        dtstamp=component.dtstamp,
        sequence=component.sequence,
        recurrence_id=component.recurrence_id,
        name=attendee.name,
        prodid=message.prodid,
        comment=message.comment,
        delegated_to=attendee.delegated_to,
        delegated_from=attendee.delegated_from,
        verified_by=vouched,
    )


def _combine(outcomes: list[Outcome]) -> Verdict:
    if Outcome.RSVP in outcomes:
        return Verdict(Outcome.RSVP)
    if all(o is Outcome.DUPLICATE for o in outcomes):
        return Verdict(Outcome.DUPLICATE, "this reply is already recorded")
    return Verdict(Outcome.STALE, "a newer reply from this attendee is already recorded")
