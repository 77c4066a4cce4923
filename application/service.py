"""The invite service: one eventsourcing Application, one method per use case."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, RecordConflictError

from application.admin.registry import OrganizerRegistry
from application.errors import InviteNotFoundError
from application.inbound.attendee_messages import handle_attendee_message
from application.inbound.bounces import handle_bounce
from application.inbound.bulk_mail import invite_named_in, recipients_of, refusal_of
from application.inbound.organizer_messages import handle_organizer_message, organizer_cancel
from application.inbound.organizer_rule import speaks_for
from application.inbound.routing import Mailboxes, unsupported_method
from application.inbound.senders import Arrival, Policies, SenderCheck
from application.inbound.token_replies import handle_token_reply
from application.kept_mail import CorruptMessageError, Envelope
from application.outbound.notices import Notifier, deferred_notices
from application.outbound.sender import Sender
from application.ports import (
    Announcement,
    Announcer,
    BlobStore,
    InviteRenderer,
    Job,
    Mailer,
    MessageParser,
    NoticeSender,
    RecipientListReader,
    RecipientRow,
    SenderVerifier,
    UnreadableListError,
    WorkQueue,
)
from application.reading.history import HistoryEntry
from application.reading.outbox import OutboxEntry, outbox
from application.reading.queries import all_invite_ids, find_invite, invite_history, show_invite
from application.reading.report import ReportRow, rsvp_report
from application.reading.views import InviteView
from application.results import Decision, IngestResult, receipt_of, redelivered, result_of
from application.send_types import OutboundSettings, Progress, Recipient, SendResult
from application.stores import loader
from application.transcodings import register_domain_transcodings
from domain.attendance import Attendance
from domain.authentication import SenderAuthentication, SenderPolicy
from domain.delivery import Delivery, delivery_id
from domain.identity import invite_id, received_message_id
from domain.indexes import InboundMessage, UidIndex
from domain.invite import Invite
from domain.messages import Bounce, ItipMessage, ParsedMessage, Unusable
from domain.organizer import Organizer
from domain.outcomes import Outcome, Verdict
from domain.reply_tokens import token_of
from domain.values import ATTENDEE_METHODS

# Concurrent deliveries touching the same stream lose the optimistic-concurrency race;
# the loser re-reads and decides again, which is safe because every decision is idempotent.
_ATTEMPTS = 5
# Outcomes after which everyone who received the invite must get the new version.
_CHANGES_EVENT = frozenset({Outcome.UPDATED, Outcome.CANCELLED})
# Outcomes whose invite is needed afterwards: to propagate it, or to tell its organizer.
_TOLD_OR_SENT = _CHANGES_EVENT | {Outcome.CREATED, Outcome.COUNTER}
# Recipients of a bulk list per queued job: a few minutes of sending at SES's usual rates.
_BULK_PART = 500
_ANNOUNCED = {
    Outcome.CREATED: "created",
    Outcome.UPDATED: "updated",
    Outcome.CANCELLED: "cancelled",
}
log = logging.getLogger(__name__)


class InviteService(Application[UUID]):
    """Records organizers' invites and attendees' answers as event-sourced aggregates."""

    name = "CalendarInvites"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Invite: 50,
        Attendance: 50,
        Organizer: 100,
        UidIndex: 100,
    }

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        parser: MessageParser,
        blobs: BlobStore,
        mailboxes: Mailboxes | None = None,
        open_registry: bool = True,
        relays: frozenset[str] = frozenset(),
        renderer: InviteRenderer | None = None,
        mailer: Mailer | None = None,
        outbound: OutboundSettings | None = None,
        review_updates: bool = False,
        notices: NoticeSender | None = None,
        lists: RecipientListReader | None = None,
        announcer: Announcer | None = None,
        queue: WorkQueue | None = None,
        bulk_part: int = _BULK_PART,
        verifier: SenderVerifier | None = None,
        sender_policy: SenderPolicy = SenderPolicy.DMARC,
    ) -> None:
        super().__init__(env)
        self.parser = parser
        self.blobs = blobs
        self.mailboxes = mailboxes or Mailboxes()
        self.open_registry = open_registry
        self.relays = relays
        self.load = loader(self.repository)
        self.outbound = outbound
        self.review_updates = review_updates
        self.notifier = Notifier(notices, load=self.load, save=self.save)
        self.lists = lists
        self.announcer = announcer
        self.queue = queue
        self.bulk_part = max(1, bulk_part)
        self.registry = OrganizerRegistry(self.load, self.save)
        self.verifier = verifier
        self.policies = Policies(sender_policy, self.registry.domain_policy)
        self.sender = (
            Sender(self.load, self.save, renderer, mailer, outbound)
            if renderer is not None and mailer is not None and outbound is not None
            else None
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add the domain's value objects to eventsourcing's default transcodings."""
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    def ingest(
        self,
        raw: bytes,
        *,
        now: datetime,
        envelope_to: str | None = None,
        envelope_from: str | None = None,
        client_ip: str | None = None,
        helo: str | None = None,
        authentication: SenderAuthentication | None = None,
        channel: str | None = None,
    ) -> IngestResult:
        """Keep the raw message, then turn it into exactly one outcome.

        ``client_ip`` and ``helo`` are the SMTP client's (for SPF) when it came over SMTP
        here; ``authentication`` is a verdict the receiving side made already (SES's).
        The envelope is kept with the message (``channel``: how it came, e.g. ``smtp``).
        """
        envelope = Envelope(envelope_to, envelope_from, now, channel, client_ip, helo)
        digest = self.blobs.put(raw, envelope)
        arrival = Arrival(envelope_to, envelope_from, client_ip, helo, authentication)
        check = self._sender_check(raw, arrival)
        for attempt in range(_ATTEMPTS):
            try:
                return self._process(raw, digest, now, arrival, check)
            except RecordConflictError:
                # The receipt is saved with every outcome, so a conflict on it means this exact
                # message was processed before; checking only here keeps the common path lean.
                seen = self.load(InboundMessage, received_message_id(digest))
                if seen is not None:
                    self._resume_fan_out(seen, now)
                    return redelivered(seen)
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _sender_check(self, raw: bytes, arrival: Arrival) -> SenderCheck:
        verifier = self.verifier
        verify = (
            None
            if verifier is None
            else lambda: verifier.verify(
                raw,
                envelope_from=arrival.sender,
                client_ip=arrival.client_ip,
                helo=arrival.helo,
            )
        )
        return SenderCheck(
            verify,
            given=arrival.authentication,
            private_tag=self.mailboxes.private_tag(arrival.to),
        )

    def _process(
        self, raw: bytes, digest: str, now: datetime, arrival: Arrival, check: SenderCheck
    ) -> IngestResult:
        envelope_to = arrival.to
        if self.mailboxes.is_bulk(envelope_to):
            return self._bulk(raw, digest, now, envelope_to, check)
        parsed = self.parser.parse(raw, sender=arrival.sender)
        if isinstance(parsed, Bounce):
            decision = handle_bounce(parsed, envelope_to, self.load, self.outbound, now)
            result = IngestResult(
                decision.verdict.outcome,
                digest,
                invite=decision.invite,
                reason=decision.verdict.reason,
            )
            changed: list[Aggregate] = decision.changed
        elif isinstance(parsed, Unusable):
            forward_to = self._reply_without_calendar(parsed, envelope_to)
            reason = parsed.reason
            if forward_to is not None:
                reason = f"{reason}; forwarded to the organizer, {forward_to.organizer}"
                self.notifier.forward_reply(parsed, forward_to, now)
            result = IngestResult(Outcome.REJECTED, digest, reason=reason)
            changed = []
        else:
            decision = self._decide(parsed, envelope_to, now, check)
            result, changed = result_of(parsed, decision, digest), decision.changed
        return self._conclude(parsed, result, changed, envelope_to, now, check)

    def _conclude(
        self,
        parsed: ParsedMessage,
        result: IngestResult,
        changed: list[Aggregate],
        envelope_to: str | None,
        now: datetime,
        check: SenderCheck,
    ) -> IngestResult:
        changed = [*changed, *self._noted(parsed, result, changed, check, now)]
        # One save: the receipt and every change it caused commit together or not at all.
        self.save(*changed, receipt_of(result, envelope_to, now, check.record()))
        invite = self._invite_after(result, changed)
        if result.outcome in _CHANGES_EVENT and invite is not None:
            self._propagate(invite, now)
        if invite is not None and result.outcome in _ANNOUNCED:
            self._announce(_ANNOUNCED[result.outcome], invite, now)
        # Who to tell of a rejection costs a registry read and perhaps a verification: asked
        # only for rejections, never on the path of every RSVP.
        verified = self._verified(parsed, check) if result.outcome is Outcome.REJECTED else None
        self.notifier.after_ingest(parsed, result, invite, now, verified)
        return result

    def _noted(
        self,
        parsed: ParsedMessage,
        result: IngestResult,
        changed: list[Aggregate],
        check: SenderCheck,
        now: datetime,
    ) -> list[Invite]:
        """Note on the invite's own stream who vouched for an organizer's message about it,
        or why it was refused, so its history shows both (``cis history``)."""
        if not isinstance(parsed, ItipMessage) or parsed.method in ATTENDEE_METHODS:
            return []
        invite = next((a for a in changed if isinstance(a, Invite)), None)
        if invite is None and result.outcome is Outcome.REJECTED and parsed.organizer:
            invite = self.load(Invite, invite_id(parsed.organizer, parsed.uid))
        if invite is None or result.outcome in (Outcome.DUPLICATE, Outcome.STALE):
            return []
        record = check.record() or {}
        invite.note_sender(
            message=result.message,
            outcome=result.outcome.value,
            vouched_by=check.vouched,
            authentication=record.get("authentication"),
            reason=result.reason,
            now=now,
        )
        return [] if invite in changed or not invite.pending_events else [invite]

    def _verified(self, parsed: ParsedMessage, check: SenderCheck) -> str | None:
        """Return the sender's address if something other than its word vouches for it.

        Rejection notices go only there: a forged From must never turn the server into a
        mailer of backscatter to whoever the forger named.
        """
        if not isinstance(parsed, ItipMessage | Unusable) or parsed.sender is None:
            return None
        sender = parsed.sender
        if check.private_for is not None:
            return check.private_for
        if self.policies.for_address(sender) is SenderPolicy.OFF:
            return sender if len(parsed.from_addresses) <= 1 else None
        return sender if check.vouches_for(sender, parsed.from_addresses) else None

    def _announce(self, kind: str, invite: Invite, now: datetime) -> None:
        if self.announcer is None:
            return
        announcement = Announcement(
            kind, invite.id, invite.organizer, invite.uid, invite.sequence, now
        )
        try:
            self.announcer.publish(announcement)
        except Exception:
            # The change is already committed; failing now would only hide that. The
            # announcement is logged as lost (a stream-fed publisher is the durable answer).
            log.exception("announcement %s of invite %s not published", kind, invite.id)

    def _bulk(
        self, raw: bytes, digest: str, now: datetime, envelope_to: str | None, check: SenderCheck
    ) -> IngestResult:
        request = self.parser.parse_list(raw)
        if isinstance(request, Unusable):
            result = IngestResult(Outcome.REJECTED, digest, reason=request.reason)
            self.save(receipt_of(result, envelope_to, now, check.record()))
            self.notifier.after_ingest(request, result, None, now, self._verified(request, check))
            return result
        # A list makes the server mail an invite to strangers: the same rule as a REQUEST.
        organizer, _, refusal_text = speaks_for(
            None,
            None,
            request.from_addresses,
            request.sender,
            load=self.load,
            check=check,
            policies=self.policies,
            relays=frozenset(),
        )
        invite = (
            invite_named_in(self.load, request.subject, organizer) if refusal_text is None else None
        )
        refusal = (Outcome.REJECTED, refusal_text) if refusal_text else refusal_of(request, invite)
        if refusal is not None or invite is None or self.lists is None:
            outcome, reason = refusal or (Outcome.REJECTED, "recipient lists are not set up")
            result = IngestResult(outcome, digest, reason=reason)
            self.save(receipt_of(result, envelope_to, now, check.record()))
            return result
        try:
            recipients, invalid = recipients_of(self.lists, request)
        except UnreadableListError as error:
            # An outcome, not a failure: the sender's server must not offer it again for ever.
            result = IngestResult(Outcome.REJECTED, digest, invite=invite.id, reason=str(error))
            self.save(receipt_of(result, envelope_to, now, check.record()))
            return result
        if self.queue is None:
            self.send(str(invite.id), recipients, now=now, invalid=invalid, summary=True)
        else:
            size = self.bulk_part
            parts = max(1, -(-len(recipients) // size))
            jobs = [
                Job(
                    "bulk",
                    invite.id,
                    message=digest,
                    first=first,
                    count=size,
                    part=part,
                    parts=parts,
                )
                for part, first in enumerate(range(0, parts * size, size), start=1)
            ]
            self.queue.put(jobs)
        result = IngestResult(Outcome.BULK, digest, invite=invite.id, uid=invite.uid)
        self.save(receipt_of(result, envelope_to, now, check.record()))
        return result

    def _invite_after(self, result: IngestResult, changed: list[Aggregate]) -> Invite | None:
        """Return the invite a message changed, reusing the decided aggregate when there is one."""
        if result.invite is None or result.outcome not in _TOLD_OR_SENT:
            return None
        decided = next((a for a in changed if isinstance(a, Invite)), None)
        return decided or self.load(Invite, result.invite)

    def _reply_without_calendar(self, message: Unusable, envelope_to: str | None) -> Invite | None:
        """Return the invite whose organizer should read a calendar-less reply, if any."""
        token = token_of(envelope_to) if envelope_to else None
        if token is None or message.kind != "no-calendar" or message.automatic:
            return None
        delivery = self.load(Delivery, delivery_id(token))
        return self.load(Invite, delivery.invite) if delivery is not None else None

    def _propagate(self, invite: Invite, now: datetime) -> None:
        if self.sender is None:
            return
        review = self._reviews(invite.organizer)
        if review:
            self.sender.hold_or_send(invite, review, now)
            self.notifier.held(invite, now)
        elif self.queue is not None:
            self._fan_out(self.queue, invite, now)
        else:
            results = self.sender.catch_up(invite, now)
            self.notifier.sent(invite, results, (), now, summary=False)

    def _resume_fan_out(self, seen: InboundMessage, now: datetime) -> None:
        """Queue the fan-out of a change again when its message comes back.

        A queue delivers a message again when its consumer failed, possibly after the change
        was saved but before its jobs were queued; queueing them again is harmless, since a
        catch-up sends each recipient a version at most once.
        """
        if self.sender is None or self.queue is None or seen.invite is None:
            return
        if seen.outcome not in _CHANGES_EVENT:
            return
        invite = self.load(Invite, seen.invite)
        if invite is not None and not self._reviews(invite.organizer):
            self._fan_out(self.queue, invite, now)

    def _fan_out(self, queue: WorkQueue, invite: Invite, now: datetime) -> None:
        """Queue one catch-up job per roster page of the invite's current version."""
        pages = self._sending().publish(invite, now)
        queue.put([Job("catch-up", invite.id, page=page) for page in range(pages)])

    def _reviews(self, organizer: str) -> bool:
        record = self.registry.find(organizer)
        if record is None or record.review_updates is None:
            return self.review_updates
        return record.review_updates

    # -- sending -------------------------------------------------------------------------

    def send(
        self,
        ref: str,
        recipients: Sequence[Recipient],
        *,
        now: datetime,
        invalid: Sequence[RecipientRow] = (),
        summary: bool = False,
        progress: Progress | None = None,
    ) -> list[SendResult]:
        """Send the invite's current version to each recipient (once per version).

        With ``summary`` (bulk sends) the organizer is told the counts and the ``invalid`` rows.
        """
        invite = find_invite(self.load, ref)
        results = self._sending().send(invite, recipients, now, progress)
        self.notifier.sent(invite, results, invalid, now, summary=summary)
        return results

    def email_report(self, ref: str, csv: bytes, *, now: datetime) -> list[ReportRow]:
        """Send the organizer their RSVP report, ``csv`` attached; return its rows."""
        invite = find_invite(self.load, ref)
        rows = rsvp_report(self.load, invite)
        self.notifier.report(invite, Counter(row.status for row in rows), csv, now)
        return rows

    def cancel(self, ref: str, *, now: datetime, by: str | None = None) -> IngestResult:
        """Cancel the whole invite for its organizer (a dashboard's Cancel), as a CANCEL
        from the organizer would: recorded, announced and sent to everyone who received it.

        The request itself is kept in the blob store like any message, for the audit trail.
        """
        invite = find_invite(self.load, ref)
        message = organizer_cancel(invite, now)
        request = {"cancel": str(invite.id), "by": by, "at": now.isoformat()}
        kept = Envelope(received=now, channel="api")
        digest = self.blobs.put(json.dumps(request, sort_keys=True).encode(), kept)
        # The API key that asked is what vouches here, not mail authentication.
        check = SenderCheck(None, vouched=f"API request by {by or 'an authorized key'}")
        decision = self._decide(message, None, now, check, trusted=True)
        result = result_of(message, decision, digest)
        return self._conclude(message, result, decision.changed, None, now, check)

    def approve(
        self, ref: str, *, now: datetime, progress: Progress | None = None
    ) -> list[SendResult]:
        """Release an update held for review and send it to everyone who received the invite.

        With a work queue the sending is queued and nothing is returned.
        """
        invite = find_invite(self.load, ref)
        if self.queue is None:
            return self._sending().approve(invite, now, progress)
        if self._sending().release(invite, now):
            self._fan_out(self.queue, invite, now)
        return []

    def work(self, job: Job, *, now: datetime) -> list[SendResult]:
        """Do one queued job; redoing it is harmless (each recipient is served once)."""
        sender = self._sending()
        invite = self.load(Invite, job.invite)
        if invite is None:
            raise InviteNotFoundError(f"no invite {job.invite} for a queued {job.kind} job")
        if job.kind == "catch-up":
            results = sender.catch_up(invite, now, page=job.page)
            self.notifier.sent(invite, results, (), now, summary=False)
            return results
        request = self.parser.parse_list(self.blobs.get(job.message or ""))
        if isinstance(request, Unusable) or self.lists is None:
            raise ValueError(f"the list in message {job.message} can no longer be read")
        recipients, invalid = recipients_of(self.lists, request)
        share = recipients[job.first : job.first + job.count]
        results = sender.send(invite, share, now)
        # Unusable rows are reported once, with the first part.
        self.notifier.sent(invite, results, invalid if job.part == 1 else (), now, summary=True)
        return results

    def retry(
        self, ref: str | None = None, *, now: datetime, progress: Progress | None = None
    ) -> list[SendResult]:
        """Send pending versions again (one invite, or every invite ever sent), then the
        organizer notices kept because the mailer could not take them (that invite's only)."""
        sender = self._sending()
        refs = [ref] if ref is not None else [str(i) for i in all_invite_ids(self)]
        invites = [find_invite(self.load, each) for each in refs]
        results = [r for invite in invites for r in sender.catch_up(invite, now, progress=progress)]
        only = invites[0].id if ref is not None else None
        kept = deferred_notices(self)
        return results + self.notifier.retry(kept, now, invite=only, progress=progress)

    def _sending(self) -> Sender:
        if self.sender is None:
            msg = "sending is not configured (no renderer, mailer or outbound settings)"
            raise RuntimeError(msg)
        return self.sender

    def _decide(
        self,
        message: ItipMessage,
        envelope_to: str | None,
        now: datetime,
        check: SenderCheck,
        *,
        trusted: bool = False,
    ) -> Decision:
        refusal = (
            unsupported_method(message.method)
            or self.mailboxes.misrouted(envelope_to, message.method)
            or (None if message.components else "the calendar holds no event (VEVENT) to record")
        )
        if refusal is not None:
            return Decision(Verdict(Outcome.REJECTED, refusal))
        token = token_of(envelope_to) if envelope_to else None
        if message.method in ATTENDEE_METHODS and token is not None and self.outbound:
            return handle_token_reply(
                message,
                token,
                self.load,
                secret=self.outbound.secret,
                check=check,
                policy=self.policies.default,
                now=now,
            )
        if message.method in ATTENDEE_METHODS:
            return handle_attendee_message(
                message, self.load, check=check, policy=self.policies.default, now=now
            )
        policies = Policies(SenderPolicy.OFF, lambda _: None) if trusted else self.policies
        return handle_organizer_message(
            message,
            self.load,
            check=check,
            policies=policies,
            open_registry=self.open_registry,
            relays=self.relays,
            now=now,
        )

    def reingest(self, *, now: datetime) -> Iterator[tuple[str, IngestResult]]:
        """Run every kept raw message through ingest again, yielding (key, result).

        Safe to repeat: a message already processed ends as ``duplicate``. It recovers
        whatever the event store lost (for example the last commits before a power loss).
        A message kept with its envelope goes through as it first did (same mailbox, sender
        and time received); one kept without, as a file given to ``cis ingest`` ``now``. A
        damaged copy is moved aside and reported as rejected, never processed.
        """
        self.blobs.tidy()
        for key in self.blobs.arrivals():
            try:
                raw = self.blobs.get(key)
            except CorruptMessageError as error:
                yield key, IngestResult(Outcome.REJECTED, key, reason=str(error))
                continue
            except KeyError:
                continue  # moved aside by another reader since it was listed
            kept = self.blobs.envelope(key) or Envelope()
            result = self.ingest(
                raw,
                now=kept.received or now,
                envelope_to=kept.to,
                envelope_from=kept.sender,
                client_ip=kept.client_ip,
                helo=kept.helo,
                channel=kept.channel,
            )
            yield key, result

    # -- reading -------------------------------------------------------------------------

    def receipt(self, digest: str) -> InboundMessage | None:
        """Return the receipt of a raw message: its outcome, and who vouched for its sender."""
        return self.load(InboundMessage, received_message_id(digest.strip().lower()))

    def report(self, ref: str) -> list[ReportRow]:
        """Return one row per recipient: the answer that counts now, origin and client."""
        return rsvp_report(self.load, find_invite(self.load, ref))

    def outbox(self) -> Iterator[OutboxEntry]:
        """Yield every send attempt: to whom, which version, and what became of it."""
        return outbox(self, self.load)

    def show(self, ref: str) -> InviteView:
        """Return the current state of the invite named by id or UID."""
        return show_invite(self.load, ref)

    def history(self, ref: str) -> list[HistoryEntry]:
        """Return the invite's stored events in order."""
        return invite_history(self, self.load, ref)

    def invites(self) -> Iterator[InviteView]:
        """Yield every invite's current state, oldest first."""
        for invite in all_invite_ids(self):
            yield show_invite(self.load, str(invite))
