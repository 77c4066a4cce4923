"""Use cases: send an invite's current version to recipients, one or many at a time.

Every send follows intent → claim → send → outcome. The intent (with the deterministic
Message-ID) and the claim are saved before the mailer is called, so a crash or a mailer
failure leaves a pending attempt that a retry completes with the same Message-ID, and of two
workers racing for the same attempt only the one whose claim was saved calls the mailer.
What remains is the moment between the mailer's acceptance and the saved outcome (README,
Known limits).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import chain, islice
from typing import NamedTuple, TypeVar
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from application.outbound.claims import Workers
from application.outbound.roster import add_to_roster, roster_size
from application.outbound.suppressions import (
    ALL,
    PERSONAL_ORIGINS,
    cancellation_reaches,
    suppressed_for,
)
from application.outbound.versions import (
    cancelled_keys,
    fingerprints,
    instance_cancel,
    outbound_of,
    rest_fingerprint,
)
from application.ports import (
    DeliveryError,
    InviteRenderer,
    Mailer,
    OutgoingMail,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from application.send_types import (
    OutboundSettings,
    Progress,
    Recipient,
    Save,
    SendOutcome,
    SendResult,
    SendTally,
)
from application.stores import Loader, ManyLoader, one_by_one, preloaded
from domain.addresses import address_problem
from domain.blocks import RecipientBlock, block_id
from domain.delivery import FORWARDED, Delivery, delivery_id
from domain.distribution import Distribution, distribution_id
from domain.identity import normalize_address, organizer_id
from domain.invite import Invite
from domain.organizer import Organizer
from domain.outbound import Addressee, OutboundInvite, event_end, for_newcomer, message_id
from domain.pacing import interleave_by_domain, receiving_domain
from domain.reply_tokens import reply_address, reply_token
from domain.roster import RosterPage, roster_page_id
from domain.suppressions import suppression_id
from domain.unsubscribe_links import unsubscribe_token
from domain.values import Method
from domain.web_links import LinkClaim, link_expiry, sign_link

# Recipients per save: each new one adds two delivery events and a roster event (≤ 92 items).
_CHUNK = 30
# Recipients read ahead and spread over their receiving domains before they are sent.
_WINDOW = 10_000
# A chunk whose claims lose an optimistic-concurrency race is read and decided again; each
# round sees what the winners saved, so a few rounds always settle it.
_ATTEMPTS = 5
# Noting a bulk send's end races only a fan-out publishing a version: a second try settles it.
_FINISH_ATTEMPTS = 3
log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Sender:
    """Sends versions of invites through a renderer and a mailer, recording every step."""

    load: Loader
    save: Save
    renderer: InviteRenderer
    mailer: Mailer
    settings: OutboundSettings
    workers: Workers
    # Whether an address belongs to someone erased at their request (never mailed again).
    erased: Callable[[str], bool] = field(default=lambda _: False)
    # Reads a chunk's records in one go where the store can (the embedded SQLite store).
    load_many: ManyLoader | None = None

    def _preload(self, ids: Sequence[UUID]) -> Loader:
        """Return a loader that answers ``ids`` from one read of them all."""
        found = (self.load_many or one_by_one(self.load))(ids)
        return preloaded(self.load, ids, found)

    def current_version(self, invite: Invite, now: datetime) -> tuple[Distribution, OutboundInvite]:
        """Return the invite's distribution and its current version, publishing it if new."""
        distribution = self.load(Distribution, distribution_id(invite.id))
        distribution = distribution or Distribution(invite=invite.id, timestamp=now)
        draft = outbound_of(invite, 0, self.settings.domain)
        whole, significant = fingerprints(draft)
        sequence = distribution.publish(
            draft.method.value,
            whole,
            significant,
            now,
            rest_fingerprint=rest_fingerprint(draft),
            cancelled_instances=cancelled_keys(draft),
            invite_version=invite.version,
        )
        return distribution, replace(draft, sequence=sequence)

    def send(
        self,
        invite: Invite,
        recipients: Iterable[Recipient],
        now: datetime,
        progress: Progress | None = None,
    ) -> list[SendResult]:
        """Send the invite's current version to each recipient not yet holding it."""
        results: list[SendResult] = []
        for page in self.stream(invite, recipients, now):
            for result in page:
                results.append(result)
                if progress is not None:
                    progress(result)
        return results

    def stream(
        self, invite: Invite, recipients: Iterable[Recipient], now: datetime
    ) -> Iterator[list[SendResult]]:
        """Send as :meth:`send` does, yielding the results as they are saved, a page at a time.

        ``recipients`` is read as the send goes (a window of them at a time), and nothing is
        kept of a page once it is yielded: what a send holds does not grow with its list.
        """
        refusal = _organizer_refusal(self.load, invite)
        if refusal is None:
            distribution, outbound = self.current_version(invite, now)
            if distribution.held:
                refusal = (
                    "an update of this invite is held for the organizer's review; it can be "
                    "sent once approved"
                )
            else:
                yield from self._send_version(invite, distribution, outbound, recipients, now)
                return
        for chunk in _chunks(recipients, _CHUNK):
            yield [
                SendResult(r.address, SendOutcome.BLOCKED, invite.id, reason=refusal) for r in chunk
            ]

    def _send_version(
        self,
        invite: Invite,
        distribution: Distribution,
        outbound: OutboundInvite,
        recipients: Iterable[Recipient],
        now: datetime,
    ) -> Iterator[list[SendResult]]:
        pages: dict[int, RosterPage] = {}
        limit = _recipient_limit(self.load, invite)
        # Web RSVP links answer invitations; a cancellation has nothing left to answer.
        expires = (
            link_expiry(now, event_end(outbound)) if outbound.method == Method.REQUEST else None
        )
        with self.workers.run() as worker:
            chunks = _spread(recipients)
            # An empty list still publishes the version: one (empty) chunk is always decided.
            for chunk in chain([next(chunks, [])], chunks):
                admitted = self._claim(
                    invite, distribution, outbound, chunk, pages, limit, now, expires, worker
                )
                distribution, outbound, settled, due = admitted
                # Only the last page can still fill: the saved full ones need not stay in memory.
                for number in [n for n in pages if n < distribution.pages - 1]:
                    del pages[number]
                if settled:
                    yield settled
                for rendition, group in _renditions(distribution, outbound, due):
                    if self.mailer.overwrites:
                        yield list(self.deliver(rendition, group, now))
                    else:
                        # One by one, each the moment its outcome is saved: a run killed
                        # partway has said what it did.
                        for result in self.deliver(rendition, group, now):
                            yield [result]

    def _claim(
        self,
        invite: Invite,
        distribution: Distribution,
        outbound: OutboundInvite,
        chunk: Sequence[Recipient],
        pages: dict[int, RosterPage],
        limit: int | None,
        now: datetime,
        expires: datetime | None,
        worker: str,
    ) -> tuple[Distribution, OutboundInvite, list[SendResult], list[tuple[Delivery, Addressee]]]:
        """Decide a chunk's recipients and save their intents and claims before any mail goes.

        The save is optimistic: when another worker saved any of these streams first, it
        fails as a whole, and the chunk is read and decided again; what the other worker
        claimed meanwhile is then left to it (``claimed-elsewhere``).
        """
        for attempt in range(_ATTEMPTS):
            settled: list[SendResult] = []
            due: list[tuple[Delivery, Addressee]] = []
            seen: set[str] = set()
            keyed = _keyed(self.settings.secret, invite.id, chunk)
            load = self._preload(_records_of(invite, keyed))
            for each in keyed:
                address = each.address
                if address in seen:
                    # One stream twice in one save would conflict with itself, forever.
                    reason = "listed twice: sent once"
                    settled.append(
                        SendResult(address, SendOutcome.DUPLICATE, invite.id, reason=reason)
                    )
                    continue
                seen.add(address)
                outcome = self._admit(
                    load,
                    invite,
                    distribution,
                    outbound,
                    each,
                    pages,
                    limit,
                    now,
                    expires,
                    worker,
                )
                if isinstance(outcome, SendResult):
                    settled.append(outcome)
                else:
                    due.append(outcome)
            # A chunk's intents, claims, roster entries (and the new version) commit together
            # before any of its mail goes; chunks keep each save within DynamoDB's 100-item
            # transactions.
            try:
                self.save(distribution, *pages.values(), *(d for d, _ in due))
            except RecordConflictError:
                if attempt == _ATTEMPTS - 1:
                    raise
                # What this worker decided is void: read everything again.
                pages.clear()
                distribution, outbound = self.current_version(invite, now)
                continue
            return distribution, outbound, settled, due
        raise AssertionError("unreachable")  # pragma: no cover

    def _admit(
        self,
        load: Loader,
        invite: Invite,
        distribution: Distribution,
        outbound: OutboundInvite,
        keyed: _Keyed,
        pages: dict[int, RosterPage],
        limit: int | None,
        now: datetime,
        link_expires: datetime | None,
        worker: str,
    ) -> SendResult | tuple[Delivery, Addressee]:
        recipient, address, token = keyed.recipient, keyed.address, keyed.token
        if token is None:
            reason = keyed.problem
            return SendResult(recipient.address, SendOutcome.INVALID, invite.id, reason=reason)
        delivery = load(Delivery, delivery_id(token))
        if outbound.method == Method.CANCEL and _never_had(delivery):
            # A CANCEL of something they never had only confuses; holders still get it.
            reason = f"the invite is cancelled: {address} never received it, so nothing is sent"
            return SendResult(address, SendOutcome.CANCELLED, invite.id, reason=reason)
        # Before any intent or claim: a suppressed address is never handed to the mailer.
        suppressed = self._suppressed(load, invite, distribution, outbound, delivery, address)
        if suppressed is not None:
            return suppressed
        if delivery is None:
            refusal = self._refusal_for_new(load, invite, distribution, address, pages, limit)
            if refusal is not None:
                return refusal
            delivery = Delivery(
                token=token,
                invite=invite.id,
                address=address,
                name=recipient.name,
                origin=recipient.origin,
                timestamp=now,
            )
            add_to_roster(self.load, distribution, token, pages, now)
        attempt = delivery.attempt(outbound.sequence)
        if attempt is not None and attempt.status != "pending":
            sent = attempt.status == "sent"
            # What a person reads: a sentence, never where the mailer put it (a file path).
            reason = (
                f"{address} already received this version (sequence {outbound.sequence}): "
                "not sent again"
                if sent
                else attempt.detail or "it failed for good earlier"
            )
            return SendResult(
                address,
                SendOutcome.DUPLICATE if sent else SendOutcome.FAILED,
                invite.id,
                outbound.sequence,
                attempt.message_id,
                reason,
            )
        holder = attempt.claimant(self.workers.now()) if attempt is not None else None
        if attempt is not None and holder is not None and self.workers.alive(holder):
            reason = (
                f"another worker ({holder}) is sending this version; if it stops, the send "
                "stays pending for a retry"
            )
            return SendResult(
                address,
                SendOutcome.CLAIMED_ELSEWHERE,
                invite.id,
                outbound.sequence,
                attempt.message_id,
                reason,
            )
        mid = message_id(invite.id, address, outbound.sequence, self.settings.domain)
        until = self.workers.until()
        if attempt is None:
            # Holders of an earlier version get an instance's CANCEL when that is all that changed.
            withdraws = distribution.cancelled_instance is not None and delivery.last_sent
            method = Method.CANCEL.value if withdraws else outbound.method.value
            delivery.intend(
                sequence=outbound.sequence,
                method=method,
                message_id=mid,
                timestamp=now,
                worker=worker,
                until=until,
            )
        else:
            delivery.claim(sequence=outbound.sequence, worker=worker, until=until, timestamp=now)
        reply = reply_address(token, self.settings.rsvp_mailbox, self.settings.domain)
        link = None
        if link_expires is not None:
            claim = LinkClaim(invite.id, token, outbound.sequence, link_expires)
            link = sign_link(self.settings.secret, claim)
        # Mail from a list (bulk, landing, campaign…) carries one-click unsubscribe (RFC 8058);
        # the organizer's own one-at-a-time send is personal mail and does not.
        unsubscribe = None
        if delivery.origin not in PERSONAL_ORIGINS:
            unsubscribe = unsubscribe_token(self.settings.secret, token, address, invite.organizer)
        return delivery, Addressee(
            address,
            delivery.name,
            reply,
            mid,
            rsvp_token=link,
            unsubscribe_token=unsubscribe,
            unsubscribe_address=(
                reply_address(unsubscribe, self.settings.unsubscribe_mailbox, self.settings.domain)
                if unsubscribe
                else None
            ),
        )

    def _suppressed(
        self,
        load: Loader,
        invite: Invite,
        distribution: Distribution,
        outbound: OutboundInvite,
        delivery: Delivery | None,
        address: str,
    ) -> SendResult | None:
        """Return the ``suppressed`` result of an address on the suppression list, or None.

        A cancellation (of the event, or of the one instance a holder gets) still reaches a
        holder who accepted, unless they unsubscribed from every organizer.
        """
        if self.erased(address):
            reason = "this address was erased at its owner's request: it is never mailed again"
            return SendResult(address, SendOutcome.SUPPRESSED, invite.id, reason=reason)
        found = suppressed_for(load, address, invite.organizer)
        if found is None:
            return None
        scope, why = found
        # A holder of an earlier version gets only an instance's CANCEL when that is the change.
        withdraws = (
            distribution.cancelled_instance is not None
            and delivery is not None
            and delivery.last_sent is not None
        )
        cancels = outbound.method == Method.CANCEL or withdraws
        if cancels and cancellation_reaches(self.load, invite.id, address, scope):
            return None
        whom = "every organizer" if scope == ALL else invite.organizer
        reason = f"{address} is on the suppression list for {whom} ({why}): not sent"
        return SendResult(address, SendOutcome.SUPPRESSED, invite.id, reason=reason)

    def _refusal_for_new(
        self,
        load: Loader,
        invite: Invite,
        distribution: Distribution,
        address: str,
        pages: dict[int, RosterPage],
        limit: int | None,
    ) -> SendResult | None:
        block = load(RecipientBlock, block_id(invite.organizer, address))
        if block is not None and block.active:
            reason = f"{address} asked not to receive invitations from {invite.organizer}"
            return SendResult(address, SendOutcome.BLOCKED, invite.id, reason=reason)
        if limit is not None and roster_size(self.load, distribution, pages) >= limit:
            reason = (
                f"limit reached: an invite of {invite.organizer} goes to at most {limit} recipients"
            )
            return SendResult(address, SendOutcome.LIMIT, invite.id, reason=reason)
        return None

    def catch_up(
        self,
        invite: Invite,
        now: datetime,
        page: int | None = None,
        progress: Progress | None = None,
    ) -> list[SendResult]:
        """Send the current version to every recipient who does not hold it yet.

        This is how updates and cancellations reach everyone who received the invite, and how
        pending sends (a mailer failure, a crash between intent and outcome) are retried.
        With ``page``, only that roster page's recipients (one queued job's share).
        """
        if self.load(Distribution, distribution_id(invite.id)) is None:
            return []
        refusal = _organizer_refusal(self.load, invite)
        distribution, outbound = self.current_version(invite, now)
        if refusal is not None or distribution.held:
            return []
        pages = range(distribution.pages) if page is None else range(page, page + 1)
        # Read as the send goes: catching up only ever sends to streams already on the
        # roster, so the pages read ahead do not change under it.
        recipients = (
            Recipient(d.address, d.name, d.origin)
            for d in self.deliveries(invite.id, pages)
            if d.origin != FORWARDED and d.bounced is None and d.lacks(outbound.sequence)
        )
        results: list[SendResult] = []
        for chunk in self._send_version(invite, distribution, outbound, recipients, now):
            for result in chunk:
                results.append(result)
                if progress is not None:
                    progress(result)
        return results

    def publish(self, invite: Invite, now: datetime) -> int:
        """Fix the invite's current version before workers fan it out; return the roster's
        page count (0 when there is nothing to send: never sent, held or organizer refused).

        Publishing here, once, keeps parallel workers from racing to number the same version.
        """
        if self.load(Distribution, distribution_id(invite.id)) is None:
            return 0
        distribution, _ = self.current_version(invite, now)
        self.save(distribution)
        if _organizer_refusal(self.load, invite) is not None or distribution.held:
            return 0
        return distribution.pages

    def finish_bulk(
        self,
        invite: Invite,
        tally: SendTally,
        invalid: int,
        now: datetime,
        *,
        part: int = 1,
        parts: int = 1,
    ) -> None:
        """Record that a bulk send (or one part of a queued one) is done, with its counts."""
        for _ in range(_FINISH_ATTEMPTS):
            distribution = self.load(Distribution, distribution_id(invite.id))
            if distribution is None:
                return  # nothing was ever published: the list had nobody to send to
            distribution.finish_bulk(
                counts=dict(sorted(tally.counts.items())),
                invalid=invalid,
                part=part,
                parts=parts,
                timestamp=now,
            )
            try:
                self.save(distribution)
            except RecordConflictError:
                continue  # a fan-out published meanwhile: note it on the newer stream
            return

    def hold_or_send(self, invite: Invite, review: bool, now: datetime) -> list[SendResult]:
        """After an accepted change: hold it for the organizer's review, or send it to everyone."""
        distribution = self.load(Distribution, distribution_id(invite.id))
        if distribution is None:
            return []
        if review:
            if not distribution.held:
                distribution.hold(timestamp=now)
                self.save(distribution)
            return []
        return self.catch_up(invite, now)

    def approve(
        self, invite: Invite, now: datetime, progress: Progress | None = None
    ) -> list[SendResult]:
        """Release a held change and send it to everyone who received the invite."""
        return self.catch_up(invite, now, progress=progress) if self.release(invite, now) else []

    def release(self, invite: Invite, now: datetime) -> bool:
        """Release a held change; return whether one was held."""
        distribution = self.load(Distribution, distribution_id(invite.id))
        if distribution is None or not distribution.held:
            return False
        distribution.approve(timestamp=now)
        self.save(distribution)
        return True

    def deliveries(self, invite: UUID, pages: Iterable[int]) -> Iterator[Delivery]:
        """Yield the delivery records of the roster ``pages``, page by page, in the order added."""
        for number in pages:
            page = self.load(RosterPage, roster_page_id(invite, number))
            ids = [delivery_id(token) for token in page.tokens] if page else []
            load = self._preload(ids)
            for stream in ids:
                delivery = load(Delivery, stream)
                if delivery is not None:
                    yield delivery

    def deliver(
        self, outbound: OutboundInvite, due: list[tuple[Delivery, Addressee]], now: datetime
    ) -> Iterator[SendResult]:
        """Render once, send to each addressee, and record each outcome as it happens."""
        mails = self.renderer.render(
            outbound, [a for _, a in due], sender=self.settings.sender, now=now
        )
        if self.mailer.overwrites:
            yield from self._hand_over_page(due, mails, outbound, now)
            return
        for (delivery, addressee), mail in zip(due, mails, strict=True):
            yield self._hand_over(delivery, addressee, mail, outbound, now)

    def _envelope(self, delivery: Delivery) -> str:
        # VERP: the envelope sender names this recipient, so a bounce says whose copy failed.
        return reply_address(delivery.token, self.settings.bounce_mailbox, self.settings.domain)

    def _hand_over_page(
        self,
        due: list[tuple[Delivery, Addressee]],
        mails: Iterable[OutgoingMail],
        outbound: OutboundInvite,
        now: datetime,
    ) -> Iterator[SendResult]:
        """Hand a whole page to a mailer that overwrites a retried Message-ID, then save the
        page's outcomes in one transaction: a crash between the two re-sends the page to
        the same files, so nobody sees a copy twice."""
        page = [
            replace(mail, sender=self._envelope(delivery))
            for (delivery, _), mail in zip(due, mails, strict=True)
        ]
        handed: list[str | DeliveryError]
        try:
            handed = self.mailer.send_page(page)
        except Exception as error:
            log.exception("handing a page of %d messages to the mailer failed", len(page))
            failure = TemporaryDeliveryError(f"the mailer failed: {type(error).__name__}: {error}")
            handed = [failure] * len(page)
        outcomes = [_outcome_of(result) for result in handed]
        deliveries = [delivery for delivery, _ in due]
        self._record_page(deliveries, outcomes, outbound.sequence, now)
        for (delivery, addressee), (outcome, detail) in zip(due, outcomes, strict=True):
            reason = None if outcome is SendOutcome.SENT else detail
            yield SendResult(
                delivery.address,
                outcome,
                outbound.invite,
                outbound.sequence,
                addressee.message_id,
                reason,
            )

    def _record_page(
        self,
        deliveries: list[Delivery],
        outcomes: list[tuple[SendOutcome, str]],
        sequence: int,
        now: datetime,
    ) -> None:
        """Save a page's outcomes together; when another event reached one of its streams
        meanwhile, each is read again and saved on its own (as :meth:`_record` does)."""
        page = list(zip(deliveries, outcomes, strict=True))
        for delivery, (outcome, detail) in page:
            _apply(delivery, sequence, outcome, detail, now)
        try:
            self.save(*deliveries)
        except RecordConflictError:
            for delivery, (outcome, detail) in page:
                fresh = self.load(Delivery, delivery.id)
                if fresh is not None and fresh.lacks(sequence):
                    self._record(fresh, sequence, outcome, detail, now)

    def _hand_over(
        self,
        delivery: Delivery,
        addressee: Addressee,
        mail: OutgoingMail,
        outbound: OutboundInvite,
        now: datetime,
    ) -> SendResult:
        sequence = outbound.sequence
        reason: str | None
        where = ""
        try:
            where = self.mailer.send(replace(mail, sender=self._envelope(delivery)))
        except TemporaryDeliveryError as error:
            outcome, reason = SendOutcome.QUEUED, error.reason
        except PermanentDeliveryError as error:
            outcome, reason = SendOutcome.FAILED, error.reason
        except Exception as error:
            # A mailer that broke its contract (a full disk, a bug) costs this recipient a
            # retry, never the rest of the run: the send stays pending, the cause is logged.
            log.exception("handing %s to the mailer failed", addressee.message_id)
            outcome = SendOutcome.QUEUED
            reason = f"the mailer failed: {type(error).__name__}: {error}"
        else:
            outcome, reason = SendOutcome.SENT, None
        self._record(delivery, sequence, outcome, where or reason or "", now)
        return SendResult(
            delivery.address, outcome, outbound.invite, sequence, addressee.message_id, reason
        )

    def _record(
        self, delivery: Delivery, sequence: int, outcome: SendOutcome, detail: str, now: datetime
    ) -> None:
        """Save what became of a send. Another event on the recipient's stream meanwhile (a
        bounce of an earlier version, a forwardee) makes the save conflict: the stream is read
        again and the outcome applied again, unless someone else recorded one already."""
        for _ in range(_ATTEMPTS):
            _apply(delivery, sequence, outcome, detail, now)
            try:
                self.save(delivery)
                return
            except RecordConflictError:
                fresh = self.load(Delivery, delivery.id)
                if fresh is None or not fresh.lacks(sequence):
                    return  # a worker that took over a lapsed claim recorded its own outcome
                delivery = fresh
        log.warning("the outcome of a send to %s could not be saved", delivery.address)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield ``items`` in lists of ``size`` (the last one shorter), reading as it goes."""
    them = iter(items)
    while chunk := list(islice(them, size)):
        yield chunk


def _spread(recipients: Iterable[Recipient]) -> Iterator[list[Recipient]]:
    """Yield the chunks to decide and send, each window of the list round-robin over its
    receiving domains.

    A window mostly at one provider sends that block last, at that provider's pace, not
    first with every other domain waiting behind it. Only a window is ever read ahead, so a
    list of a million holds what one of ten thousand does.
    """
    for window in _chunks(recipients, _WINDOW):
        spread = interleave_by_domain(window, lambda r: receiving_domain(r.address))
        for start in range(0, len(spread), _CHUNK):
            yield spread[start : start + _CHUNK]


class _Keyed(NamedTuple):
    """A recipient with what deciding it is keyed by, worked out once per chunk."""

    recipient: Recipient
    address: str  # normalized
    token: str | None  # None for an unusable address
    problem: str | None  # why the address is unusable


def _keyed(secret: bytes, invite: UUID, chunk: Sequence[Recipient]) -> list[_Keyed]:
    keyed = []
    for recipient in chunk:
        address = normalize_address(recipient.address)
        problem = address_problem(address)
        token = reply_token(secret, invite, address) if problem is None else None
        keyed.append(_Keyed(recipient, address, token, problem))
    return keyed


def _records_of(invite: Invite, chunk: Sequence[_Keyed]) -> list[UUID]:
    """Return the ids of what deciding ``chunk`` reads: each recipient's delivery,
    suppression record and block record (an unusable address reads nothing)."""
    ids: list[UUID] = []
    for each in chunk:
        if each.token is not None:
            ids += [
                delivery_id(each.token),
                suppression_id(each.address),
                block_id(invite.organizer, each.address),
            ]
    return ids


def _apply(
    delivery: Delivery, sequence: int, outcome: SendOutcome, detail: str, now: datetime
) -> None:
    if outcome is SendOutcome.SENT:
        delivery.sent(sequence=sequence, where=detail, timestamp=now)
    else:
        permanent = outcome is SendOutcome.FAILED
        delivery.failed(sequence=sequence, reason=detail, permanent=permanent, timestamp=now)


def _outcome_of(handed: str | DeliveryError) -> tuple[SendOutcome, str]:
    """Return a page's outcome for one message: where it went, or why it did not."""
    if isinstance(handed, str):
        return SendOutcome.SENT, handed
    if isinstance(handed, PermanentDeliveryError):
        return SendOutcome.FAILED, handed.reason
    return SendOutcome.QUEUED, handed.reason


def _never_had(delivery: Delivery | None) -> bool:
    """Return whether no version can have reached the recipient (a pending one may have)."""
    return delivery is None or all(a.status == "failed" for a in delivery.attempts.values())


def _recipient_limit(load: Loader, invite: Invite) -> int | None:
    record = load(Organizer, organizer_id(invite.organizer))
    return record.max_recipients if record is not None else None


def _organizer_refusal(load: Loader, invite: Invite) -> str | None:
    record = load(Organizer, organizer_id(invite.organizer))
    return record.refusal() if record is not None else None


def _renditions(
    distribution: Distribution, outbound: OutboundInvite, due: list[tuple[Delivery, Addressee]]
) -> list[tuple[OutboundInvite, list[tuple[Delivery, Addressee]]]]:
    """Split recipients by what they get: holders of an earlier version an instance's CANCEL
    when this version only cancelled that instance, else the whole current state; newcomers
    the whole current state with each cancelled instance as an EXDATE of the series."""
    key = distribution.cancelled_instance
    held = outbound if key is None else instance_cancel(outbound, key)
    fresh = for_newcomer(outbound)
    if held is fresh:
        return [(outbound, due)] if due else []
    holders = [(d, a) for d, a in due if d.last_sent is not None]
    newcomers = [(d, a) for d, a in due if d.last_sent is None]
    groups = [(held, holders), (fresh, newcomers)]
    return [(rendition, group) for rendition, group in groups if group]
