"""When organizers are told what happened, and what they are told.

Notices never undo or fail the work they report: one the mailer cannot take now is kept
(a ``DeferredNotice``) and sent by the next retry (``Outbound.retry``, which the embedded
server runs in the background); one refused for good is logged. Those that follow ingest
wait for the background work where a process runs it (``notice_queue.py``), so ingest never
waits on them. Nothing is ever sent in answer to a machine (bounces, auto-replies, anything
marked Auto-Submitted): that is how mail loops start.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import RecordConflictError
from eventsourcing.utils import get_topic

from application.outbound.claims import Workers
from application.outbound.notice_queue import NoticeQueue
from application.ports import (
    DeliveryError,
    Notice,
    NoticeSender,
    PermanentDeliveryError,
    RecipientRow,
)
from application.rate_limit import RateLimit
from application.results import IngestResult
from application.send_types import Progress, Save, SendOutcome, SendResult, SendTally
from application.stores import Loader
from domain.addresses import address_problem
from domain.invite import Invite
from domain.messages import ItipMessage, ListRequest, ParsedMessage, Unusable
from domain.notices import DeferredNotice, deferred_notice_id
from domain.outcomes import Outcome
from domain.values import Method

log = logging.getLogger(__name__)


@dataclass
class Notifier:
    """Builds and sends organizer notices through the NoticeSender port."""

    sender: NoticeSender
    # Where notices that cannot be sent now are kept for a retry.
    load: Loader
    save: Save
    workers: Workers
    rejections: RateLimit = field(default_factory=lambda: RateLimit(5, timedelta(hours=1)))
    # Where the notices that follow ingest wait for the background work, once it is started.
    queue: NoticeQueue = field(default_factory=NoticeQueue)

    def start_background(self) -> None:
        """From now on, queue the notices that follow ingest for a thread of their own."""
        self.queue.start(self.tell)

    def stop_background(self) -> int:
        """Send what the queue holds, here, and send later notices at once; return how many
        were waiting."""
        return self.queue.close()

    def tell_soon(self, notice: Notice, now: datetime) -> None:
        """Send ``notice`` from the background work when it runs, else at once (as ``tell``)."""
        if not self.queue.put(notice, now):
            self.tell(notice, now)

    def tell(self, notice: Notice, now: datetime) -> None:
        """Send ``notice``; one the mailer cannot take now is kept for a retry, never raised."""
        if address_problem(notice.to) is not None:
            # Addresses come from mail we did not write: one we cannot send to is skipped.
            log.info("notice %s not sent: %r is not a usable address", notice.kind, notice.to)
            return
        try:
            self.sender.send(notice, now=now)
        except PermanentDeliveryError as error:
            log.warning("notice %s to %s refused: %s", notice.kind, notice.to, error.reason)
        except DeliveryError as error:
            self._defer(notice, now, error.reason)
        except OSError as error:
            self._defer(notice, now, f"{type(error).__name__}: {error}")
        except Exception:
            # A notice that cannot even be rendered is a bug to fix, not a send to retry;
            # the work it reports is done and stays done.
            log.exception("notice %s to %s not sent", notice.kind, notice.to)

    def _defer(self, notice: Notice, now: datetime, reason: str) -> None:
        log.warning("notice %s to %s kept for a retry: %s", notice.kind, notice.to, reason)
        key = notice_key(notice)
        try:
            if self.load(DeferredNotice, deferred_notice_id(key)) is not None:
                return  # kept already (the same message processed again)
            name, data = notice.attachment or (None, None)
            record = DeferredNotice(
                key=key,
                kind=notice.kind,
                to=notice.to,
                invite=notice.invite,
                title=notice.title,
                facts=dict(notice.facts),
                attachment_name=name,
                attachment=base64.b64encode(data).decode("ascii") if data is not None else None,
                written=now,
                reason=reason,
                timestamp=now,
            )
            self.save(record)
        except RecordConflictError:
            return  # another worker kept the same notice at the same moment
        except Exception:
            # The store failing too (the same full disk) must not fail the work either.
            log.exception("notice %s to %s lost: it could not be kept", notice.kind, notice.to)

    def retry(
        self,
        kept: Iterable[UUID],
        now: datetime,
        invite: UUID | None = None,
        progress: Progress | None = None,
    ) -> list[SendResult]:
        """Send the kept notices still pending (only ``invite``'s, when given); one result each."""
        results: list[SendResult] = []
        with self.workers.run() as worker:
            for record_id in kept:
                record = self.load(DeferredNotice, record_id)
                if record is None or record.status != "pending":
                    continue
                if invite is not None and record.invite != invite:
                    continue
                result = self._resend(self.sender, self.save, record, now, worker)
                results.append(result)
                if progress is not None:
                    progress(result)
        return results

    def _resend(
        self, sender: NoticeSender, save: Save, record: DeferredNotice, now: datetime, worker: str
    ) -> SendResult:
        def result(outcome: SendOutcome, reason: str | None = None) -> SendResult:
            return SendResult(record.to, outcome, record.invite, reason=reason, notice=record.kind)

        holder = record.claimant(self.workers.now())
        if holder is not None and self.workers.alive(holder):
            return result(SendOutcome.CLAIMED_ELSEWHERE, f"another worker ({holder}) sends it")
        record.claim(worker=worker, until=self.workers.until(), timestamp=now)
        try:
            save(record)
        except RecordConflictError:
            return result(SendOutcome.CLAIMED_ELSEWHERE, "another worker claimed it first")
        outcome, reason = SendOutcome.SENT, None
        try:
            # Written as it was first meant: the same Date and Message-ID on every try.
            where = sender.send(notice_of(record), now=record.written)
        except PermanentDeliveryError as error:
            record.failed(reason=error.reason, permanent=True, timestamp=now)
            outcome, reason = SendOutcome.FAILED, error.reason
        except DeliveryError as error:
            record.failed(reason=error.reason, permanent=False, timestamp=now)
            outcome, reason = SendOutcome.QUEUED, error.reason
        except Exception as error:
            log.exception("notice %s to %s not sent", record.kind, record.to)
            reason = f"{type(error).__name__}: {error}"
            record.failed(reason=reason, permanent=False, timestamp=now)
            outcome = SendOutcome.QUEUED
        else:
            record.sent(where=where, timestamp=now)
        try:
            save(record)
        except RecordConflictError:
            log.warning("the outcome of notice %s was recorded by another worker", record.key)
        return result(outcome, reason)

    def after_ingest(
        self,
        parsed: ParsedMessage | ListRequest,
        result: IngestResult,
        invite: Invite | None,
        now: datetime,
        verified: str | None = None,
    ) -> None:
        """Tell the organizer (or the sender) what became of a message, where it helps.

        A rejection is told only to ``verified``, the sender something other than its own
        word vouched for, at most a few times an hour, and never quotes the message: a
        forged From must not make this server mail whoever the forger named.
        """
        if not isinstance(parsed, ItipMessage | Unusable) or parsed.automatic:
            return
        if result.outcome is Outcome.CREATED and invite is not None:
            self.tell_soon(Notice("created", invite.organizer, invite.id, _title(invite)), now)
        elif result.outcome is Outcome.REJECTED and not _quarantined(result):
            if verified is not None and self.rejections.allows(verified, now):
                facts = {"reason": result.reason or ""}
                self.tell_soon(Notice("rejected", verified, None, None, _filled(facts)), now)
        elif (
            isinstance(parsed, ItipMessage)
            and parsed.method is Method.COUNTER
            and result.outcome is Outcome.COUNTER
            and invite is not None
        ):
            self.tell_soon(_counter_notice(parsed, invite), now)

    def forward_reply(self, message: Unusable, invite: Invite, now: datetime) -> None:
        """Pass an attendee's reply that carries no calendar data on to the organizer."""
        facts = {
            "from": message.sender or "unknown sender",
            "text": message.text or "",
            "subject": message.subject or "",
        }
        notice = Notice(
            "forwarded-reply", invite.organizer, invite.id, _title(invite), _filled(facts)
        )
        self.tell_soon(notice, now)

    def held(self, invite: Invite, now: datetime) -> None:
        """Tell the organizer an update waits for their approval."""
        facts = {"sequence": str(invite.sequence)}
        self.tell_soon(Notice("held", invite.organizer, invite.id, _title(invite), facts), now)

    def sent(
        self,
        invite: Invite,
        results: Iterable[SendResult] | SendTally,
        invalid: Iterable[RecipientRow],
        now: datetime,
        *,
        summary: bool,
    ) -> None:
        """After a send: a limit notice if the limit cut it, and for bulk sends a summary.

        A streamed send passes its tally: its results were never all held."""
        tally = results if isinstance(results, SendTally) else SendTally.of(results)
        counts = tally.counts
        limited = counts.get("limit", 0)
        if limited and not summary:  # a bulk summary counts them itself
            facts = {
                "limit": str(tally.limit_reason or ""),
                "used": str(counts.get("sent", 0)),
                "what": f"{limited} recipients were not sent to",
            }
            self.tell(Notice("limit", invite.organizer, invite.id, _title(invite), facts), now)
        if summary:
            facts = {f"count.{k}": str(v) for k, v in sorted(counts.items())}
            facts |= {f"invalid.{row.line}": row.problem or "" for row in invalid}
            notice = Notice("bulk-summary", invite.organizer, invite.id, _title(invite), facts)
            self.tell(notice, now)

    def report(
        self, invite: Invite, statuses: Mapping[str, int], csv: bytes, now: datetime
    ) -> None:
        """Send the organizer their RSVP report with the CSV attached."""
        facts = {f"count.{k}": str(v) for k, v in sorted(statuses.items())}
        attachment = (f"rsvp-report-{invite.id}.csv", csv)
        notice = Notice(
            "rsvp-report", invite.organizer, invite.id, _title(invite), facts, attachment
        )
        self.tell(notice, now)


def _title(invite: Invite) -> str | None:
    shown = invite.master or next(iter(invite.occurrences.values()), None)
    return shown.details.summary if shown else None


def _quarantined(result: IngestResult) -> bool:
    # A quarantined reply may be a forgery: telling its sender why would coach the forger.
    return (result.reason or "").startswith("quarantined")


def _filled(facts: Mapping[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in facts.items() if v}


def _counter_notice(parsed: ItipMessage, invite: Invite) -> Notice:
    component = parsed.components[0]
    attendee = next(iter(component.details.attendees), None)
    proposed = f"{component.details.start or '?'} to {component.details.end or '?'}"
    current = invite.master.details if invite.master else None
    facts = {
        "attendee": attendee.address if attendee else (parsed.sender or "an attendee"),
        "proposed": proposed,
        "current": f"{current.start} to {current.end}" if current else "",
        "comment": parsed.comment or "",
    }
    return Notice("counter", invite.organizer, invite.id, _title(invite), _filled(facts))


def notice_key(notice: Notice) -> str:
    """Return a digest of what the notice says: the same notice, the same key."""
    name, data = notice.attachment or (None, b"")
    content = [
        notice.kind,
        notice.to,
        str(notice.invite or ""),
        notice.title,
        sorted(notice.facts.items()),
        name,
        hashlib.sha256(data).hexdigest(),
    ]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()


def notice_of(record: DeferredNotice) -> Notice:
    """Return the notice a record keeps."""
    attachment = (
        (record.attachment_name or "attachment", base64.b64decode(record.attachment))
        if record.attachment is not None
        else None
    )
    return Notice(
        record.kind, record.to, record.invite, record.title, dict(record.facts), attachment
    )


def deferred_notices(app: Application[UUID], page: int = 500) -> Iterator[UUID]:
    """Yield the id of every notice ever kept for a retry, oldest first."""
    # @event("Deferred") makes this class when DeferredNotice is defined; mypy cannot see it.
    topic = get_topic(DeferredNotice.Deferred)  # type: ignore[attr-defined]
    start = 1
    while True:
        batch = app.recorder.select_notifications(start=start, limit=page, topics=[topic])
        for notification in batch:
            originator = notification.originator_id
            yield originator if isinstance(originator, UUID) else UUID(str(originator))
        if len(batch) < page:
            return
        start = batch[-1].id + 1
