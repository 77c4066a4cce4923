"""The inbound flow's front door: every message that arrives, and the organizer's own changes.

Each message is kept first, then turned into exactly one recorded outcome; what follows a
committed outcome (sending, announcing, telling) is the :class:`Followups` policy's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError

from application.inbound.bounces import handle_bounce
from application.inbound.deciding import Decider, SenderRules
from application.inbound.delivery_notices import (
    DeliveryNotice,
    NoticeResult,
    record_delivery_notice,
)
from application.inbound.followups import Change, Followups
from application.inbound.list_requests import ListRequests
from application.inbound.organizer_messages import organizer_cancel
from application.inbound.routing import Mailboxes
from application.inbound.senders import Arrival, SenderCheck
from application.kept_mail import CorruptMessageError, Envelope
from application.outbound.suppressions import InvalidLinkError, Suppressions
from application.ports import BlobStore, MessageParser, RecipientListReader
from application.reading.queries import find_invite
from application.results import IngestResult, receipt_of, redelivered, result_of
from application.send_types import OutboundSettings
from application.store import InviteStore
from domain.attendance import Attendance
from domain.authentication import SenderAuthentication
from domain.delivery import Delivery, delivery_id
from domain.identity import invite_id, received_message_id
from domain.indexes import InboundMessage
from domain.invite import Invite
from domain.messages import Bounce, ItipMessage, ParsedMessage, Unusable
from domain.outcomes import Outcome
from domain.reply_tokens import token_of
from domain.values import ATTENDEE_METHODS

# Concurrent deliveries touching the same stream lose the optimistic-concurrency race;
# the loser re-reads and decides again, which is safe because every decision is idempotent.
_ATTEMPTS = 5
# Outcomes whose invite is needed afterwards: to propagate it, or to tell its organizer.
_TOLD_OR_SENT = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.CANCELLED, Outcome.COUNTER})
# Messages arriving together are kept as groups of at most this many, or of this many bytes
# (one group commit each): bounded, so the first result is not held back long and a group
# of big messages is not all held in memory at once.
GROUP = 64
GROUP_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Incoming:
    """One message arriving with others (``ingest_many``), with what ``ingest`` takes beside
    its bytes; ``source`` is the caller's name for it (a file), handed back with its result."""

    raw: bytes
    source: str = ""
    envelope_to: str | None = None
    envelope_from: str | None = None
    client_ip: str | None = None
    helo: str | None = None
    authentication: SenderAuthentication | None = None
    channel: str | None = None


def _groups(messages: Iterable[Incoming], most: int) -> Iterator[list[Incoming]]:
    """Yield ``messages`` in groups of ``most`` at most, and ``GROUP_BYTES`` (or one message)."""
    batch: list[Incoming] = []
    size = 0
    for message in messages:
        batch.append(message)
        size += len(message.raw)
        if len(batch) >= most or size >= GROUP_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class Inbound:
    """Ingest, reingest, and the organizer's Cancel: everything that changes what is recorded."""

    def __init__(
        self,
        store: InviteStore,
        *,
        parser: MessageParser,
        blobs: BlobStore,
        mailboxes: Mailboxes,
        rules: SenderRules,
        outbound: OutboundSettings,
        followups: Followups,
        lists: RecipientListReader,
    ) -> None:
        self.store = store
        self.load = store.load
        self.parser = parser
        self.blobs = blobs
        self.mailboxes = mailboxes
        self.outbound = outbound
        self.followups = followups
        self.decider = Decider(store.load, mailboxes, rules, outbound)
        self.lists = ListRequests(store.load, store.save, parser, lists, self.decider, followups)

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
        return self._ingest_kept(raw, digest, arrival, now)

    def ingest_many(
        self, messages: Iterable[Incoming], *, clock: Callable[[], datetime], group: int = GROUP
    ) -> Iterator[tuple[Incoming, IngestResult]]:
        """Ingest messages arriving together (``cis ingest`` of many files), yielding each
        with its result, in order, as ``ingest`` would one by one.

        They are kept a group at a time (``group`` messages, ``GROUP_BYTES`` at most) with one
        group commit (``BlobStore.put_many``): no message of a group is processed, so none is
        reported, before the whole group is kept. Each is then processed as ``ingest`` does,
        the next one read (parsed) while this one is recorded. ``clock`` is read once a
        group: its messages arrive together.
        """
        for batch in _groups(messages, group):
            now = clock()
            kept = [
                Envelope(m.envelope_to, m.envelope_from, now, m.channel, m.client_ip, m.helo)
                for m in batch
            ]
            digests = self.blobs.put_many([(m.raw, e) for m, e in zip(batch, kept, strict=True)])
            self._read_ahead(batch[0])
            for n, (message, digest) in enumerate(zip(batch, digests, strict=True)):
                if n + 1 < len(batch):
                    self._read_ahead(batch[n + 1])
                arrival = Arrival(
                    message.envelope_to,
                    message.envelope_from,
                    message.client_ip,
                    message.helo,
                    message.authentication,
                )
                yield message, self._ingest_kept(message.raw, digest, arrival, now)

    def _read_ahead(self, message: Incoming) -> None:
        """Have the parser start on a message that will be parsed (not a list, not an
        unsubscribe: those are read otherwise)."""
        to = message.envelope_to
        if not self.mailboxes.is_bulk(to) and not self.mailboxes.is_unsubscribe(to):
            self.parser.read_ahead(message.raw, sender=message.envelope_from)

    def _ingest_kept(
        self, raw: bytes, digest: str, arrival: Arrival, now: datetime
    ) -> IngestResult:
        """Turn a message already kept under ``digest`` into exactly one outcome."""
        check = self.decider.check(raw, arrival)
        for attempt in range(_ATTEMPTS):
            try:
                return self._process(raw, digest, now, arrival, check)
            except RecordConflictError:
                # The receipt is saved with every outcome, so a conflict on it means this exact
                # message was processed before; checking only here keeps the common path lean.
                seen = self.load(InboundMessage, received_message_id(digest))
                if seen is not None:
                    self.followups.redelivered(seen, now)
                    return redelivered(seen)
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def reingest(self, *, now: datetime) -> Iterator[tuple[str, IngestResult]]:
        """Run every kept raw message through ingest again, yielding (key, result).

        Safe to repeat: a message already processed ends as ``duplicate``. It recovers
        whatever the event store lost (for example the last commits before a power loss).
        A message kept with its envelope goes through as it first did (same mailbox, sender
        and time received); one kept without, as a file ingested ``now``. A damaged copy is
        moved aside and reported as rejected, never processed.
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

    def cancel(self, ref: str, *, now: datetime, by: str | None = None) -> IngestResult:
        """Cancel the whole invite for its organizer (a dashboard's Cancel), as a CANCEL
        from the organizer would: recorded, then announced and sent to everyone who
        received it.

        The request itself is kept in the blob store like any message, for the audit trail.
        """
        invite = find_invite(self.load, ref)
        message = organizer_cancel(invite, now)
        request = {"cancel": str(invite.id), "by": by, "at": now.isoformat()}
        kept = Envelope(received=now, channel="api")
        digest = self.blobs.put(json.dumps(request, sort_keys=True).encode(), kept)
        # The API key that asked is what vouches here, not mail authentication.
        check = SenderCheck(None, vouched=f"API request by {by or 'an authorized key'}")
        decision = self.decider.decide(message, None, now, check, trusted=True)
        result = result_of(message, decision, digest)
        return self._conclude(message, result, decision.changed, None, now, check)

    def record_delivery_notice(
        self, notice: DeliveryNotice, *, now: datetime
    ) -> list[NoticeResult]:
        """Record what a mail provider reports of a message we sent (a bounce, a complaint)
        on the delivery its return path names; one result per recipient it names."""
        return record_delivery_notice(
            notice, load=self.load, save=self.store.save, outbound=self.outbound, now=now
        )

    def _process(
        self, raw: bytes, digest: str, now: datetime, arrival: Arrival, check: SenderCheck
    ) -> IngestResult:
        envelope_to = arrival.to
        if self.mailboxes.is_bulk(envelope_to):
            return self.lists.receive(raw, digest, now, envelope_to, check)
        if self.mailboxes.is_unsubscribe(envelope_to):
            return self._unsubscribe(digest, envelope_to, now)
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
                self.followups.reply_forwarded(parsed, forward_to, now)
            result = IngestResult(Outcome.REJECTED, digest, reason=reason)
            changed = []
        else:
            decision = self.decider.decide(parsed, envelope_to, now, check)
            result, changed = result_of(parsed, decision, digest), decision.changed
        return self._conclude(parsed, result, changed, envelope_to, now, check)

    def _unsubscribe(self, digest: str, envelope_to: str | None, now: datetime) -> IngestResult:
        """Unsubscribe the recipient the ``unsubscribe+TOKEN@`` address names from its
        organizer (RFC 2369's mailto:): whatever the message says, like the one-click POST.

        Nothing is parsed; the receipt records the outcome like any message's, and nobody is
        told (answering would be mail to someone who asked for none)."""
        token = (envelope_to or "").partition("@")[0].partition("+")[2]
        suppressions = Suppressions(self.store, self.outbound.secret)
        try:
            done = suppressions.unsubscribe(token, everywhere=False, now=now)
        except InvalidLinkError as error:
            result = IngestResult(Outcome.REJECTED, digest, reason=str(error))
        else:
            reason = None if done.changed else "already unsubscribed from this organizer"
            result = IngestResult(Outcome.UNSUBSCRIBED, digest, reason=reason)
        self.store.save(receipt_of(result, envelope_to, now))
        return result

    def _note_author(self, digest: str, changed: list[Aggregate]) -> None:
        """Note an attendee's message as theirs, so its receipt is sealed for them and an
        erasure finds (and deletes) the raw message: their answer changed one attendance."""
        authors = {a.address for a in changed if isinstance(a, Attendance)}
        if len(authors) == 1:
            keyring = self.store.keyring
            keyring.own(received_message_id(digest), keyring.kid(authors.pop()))

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
        self._note_author(result.message, changed)
        # One save: the receipt and every change it caused commit together or not at all.
        self.store.save(*changed, receipt_of(result, envelope_to, now, check.record()))
        # Who to tell of a rejection costs a registry read and perhaps a verification: asked
        # only for rejections, never on the path of every RSVP.
        rejected = result.outcome is Outcome.REJECTED
        verified = self.decider.verified(parsed, check) if rejected else None
        invite = self._invite_after(result, changed)
        self.followups.committed(Change(parsed, result, invite, verified, now))
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
        or why it was refused, so its history shows both."""
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
