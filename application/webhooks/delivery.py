"""Fan-out of events to endpoints, and signed delivery with retries.

The fan-out records one ``WebhookMessage`` per (enabled endpoint that wants it, event), under
an id derived from both, so the same event reaching it twice (a log read again, a change
stream redelivered) is one message. Delivery is at least once: an attempt is recorded after
the endpoint answered, so a crash in between sends it again under the same ``webhook-id``,
which is what receivers deduplicate by. A failed attempt schedules the next one
(``domain.webhooks.retry_delay``: backoff with jitter for more than a day); an endpoint failing
for a day with no success between is disabled, its pending messages abandoned, and its owner
told.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import RecordConflictError
from eventsourcing.utils import get_topic

from application.ports import Notice
from application.stores import Loader
from application.webhooks.events import TOPICS, EventMapper, Outgoing
from application.webhooks.ports import WebhookTransport, WebhookTransportError
from application.webhooks.signing import SecretBox, signature_header
from domain.webhooks import (
    WebhookEndpoint,
    WebhookIndex,
    WebhookLogPage,
    WebhookMessage,
    endpoint_id,
    endpoint_index_id,
    log_page_id,
    message_id,
    retry_delay,
)

log = logging.getLogger(__name__)

Save = Callable[..., Any]
Tell = Callable[[Notice, datetime], None]
_ATTEMPTS = 5
# An error text kept per attempt: enough to read, bounded whatever the endpoint answered.
_ERROR_CHARS = 300
# Messages recorded in one transaction: with their log pages and endpoints, well within
# DynamoDB's 100 items per transaction.
_TOGETHER = 30
USER_AGENT = "calendar-invite-server-webhooks/1"


def _event(aggregate: type[Any], name: str) -> type[Any]:
    found: type[Any] = getattr(aggregate, name)
    return found


# What the pending tracker reads of the log: every event that changes when a message is due.
MESSAGE_TOPICS = tuple(
    get_topic(_event(WebhookMessage, name))
    for name in ("Created", "Attempted", "Abandoned", "Requeued")
)


def endpoints_of(load: Loader, load_many: Callable[[Sequence[UUID]], Any]) -> list[WebhookEndpoint]:
    """Return every registered endpoint (removed ones are dropped from the index)."""
    index = load(WebhookIndex, endpoint_index_id())
    if index is None:
        return []
    found = load_many([endpoint_id(key) for key in index.keys])
    return [e for e in found.values() if isinstance(e, WebhookEndpoint) and not e.removed]


@dataclass
class FanOut:
    """Records, for each webhook event, one message per endpoint that wants it."""

    load: Loader
    save: Save
    load_many: Callable[[Sequence[UUID]], Any]

    def events(self, events: Iterable[DomainEventProtocol[UUID]], now: datetime) -> list[UUID]:
        """Fan out the webhook events among ``events``; return the new messages' ids."""
        endpoints = [e for e in endpoints_of(self.load, self.load_many) if e.enabled]
        if not endpoints:
            return []
        # Events older than every endpoint go nowhere (a log read again from the start after
        # the views were rebuilt): not even mapped, which loads what they refer to.
        oldest = min(e.created for e in endpoints)
        mapper = EventMapper(self.load)
        recent = (event for event in events if cast(Any, event).timestamp >= oldest)
        outgoing = [found for found in map(mapper, recent) if found is not None]
        if not outgoing:
            return []
        wanted = [
            (endpoint.key, item)
            for item in outgoing
            for endpoint in endpoints
            if endpoint.wants(item.event_type, item.organizer, item.occurred)
        ]
        created: list[UUID] = []
        for start in range(0, len(wanted), _TOGETHER):
            part = wanted[start : start + _TOGETHER]
            try:
                created += self._together(part, now)
            except RecordConflictError:
                # Some were recorded already (the same events again), or an endpoint changed
                # meanwhile: one by one, each deciding for itself.
                for key, item in part:
                    endpoint = self.load(WebhookEndpoint, endpoint_id(key))
                    made = self.record(endpoint, item, now) if endpoint is not None else None
                    if made is not None:
                        created.append(made)
        return created

    def _together(self, wanted: Sequence[tuple[str, Outgoing]], now: datetime) -> list[UUID]:
        """Record the messages of ``wanted`` in one transaction (fresh endpoints and pages)."""
        keys = list(dict.fromkeys(key for key, _ in wanted))
        loaded = self.load_many([endpoint_id(key) for key in keys])
        endpoints: dict[str, WebhookEndpoint] = {
            e.key: e for e in loaded.values() if isinstance(e, WebhookEndpoint) and not e.removed
        }
        current = self.load_many([log_page_id(e.key, e.log_pages - 1) for e in endpoints.values()])
        pages: dict[str, WebhookLogPage] = {
            p.endpoint: p for p in current.values() if isinstance(p, WebhookLogPage)
        }
        # Those recorded already (the same events read again) are skipped, in one query.
        ids = [message_id(key, item.webhook_id) for key, item in wanted]
        recorded = set(self.load_many(ids))
        messages: list[WebhookMessage] = []
        for (key, item), ident in zip(wanted, ids, strict=True):
            endpoint = endpoints.get(key)
            if endpoint is None or ident in recorded:
                continue
            page = pages.get(key)
            if page is None:  # the endpoint's first message (load_many found no page)
                page = WebhookLogPage(endpoint=key, page=endpoint.log_pages - 1, timestamp=now)
            if page.full:
                endpoint.open_log_page(timestamp=now)
                page = WebhookLogPage(endpoint=key, page=endpoint.log_pages - 1, timestamp=now)
            pages[key] = page
            messages.append(self._message(key, item.shown_to(endpoint), now))
            page.log(webhook_id=item.webhook_id, timestamp=now)
        if messages:
            self.save(*messages, *pages.values(), *endpoints.values())
        return [m.id for m in messages]

    def _page(self, endpoint: WebhookEndpoint, now: datetime) -> WebhookLogPage:
        page = self.load(WebhookLogPage, log_page_id(endpoint.key, endpoint.log_pages - 1))
        if page is None:
            page = WebhookLogPage(endpoint=endpoint.key, page=endpoint.log_pages - 1, timestamp=now)
        return page

    @staticmethod
    def _message(key: str, item: Outgoing, now: datetime) -> WebhookMessage:
        return WebhookMessage(
            endpoint=key,
            webhook_id=item.webhook_id,
            event_type=item.event_type,
            payload=item.body(),
            person=item.person,
            occurred=item.occurred,
            timestamp=now,
        )

    def record(self, endpoint: WebhookEndpoint, item: Outgoing, now: datetime) -> UUID | None:
        """Record ``item`` for ``endpoint`` with its log entry; return the message id, or None
        when it was recorded already (or the endpoint is gone)."""
        key = endpoint.key
        ident = message_id(key, item.webhook_id)
        for attempt in range(_ATTEMPTS):
            if endpoint.removed:
                return None
            message = self._message(key, item.shown_to(endpoint), now)
            page = self._page(endpoint, now)
            if page.full:
                endpoint.open_log_page(timestamp=now)
                page = WebhookLogPage(endpoint=key, page=endpoint.log_pages - 1, timestamp=now)
            page.log(webhook_id=item.webhook_id, timestamp=now)
            try:
                self.save(message, page, endpoint)
            except RecordConflictError:
                # Recorded already (the same event again), or the endpoint or its log page
                # changed meanwhile: look again.
                if self.load(WebhookMessage, ident) is not None:
                    return None
                if attempt == _ATTEMPTS - 1:
                    raise
                found = self.load(WebhookEndpoint, endpoint_id(key))
                if found is None or found.removed:
                    return None
                endpoint = found
                continue
            return ident
        return None  # pragma: no cover - the loop returns or raises


@dataclass(frozen=True)
class Attempt:
    """What one delivery did: the message's status after it, and when the next try is due."""

    message: UUID
    status: str
    next_attempt: datetime | None
    status_code: int | None = None
    disabled: bool = False


class Bookmark(Protocol):
    """Where the fan-out stopped reading the event log (``bookmark.LogBookmark``)."""

    def position(self) -> int:
        """Return the last notification id fanned out."""
        ...

    def advance(self, position: int) -> None:
        """Record that everything up to ``position`` is fanned out."""
        ...


@dataclass(frozen=True)
class Ready:
    """A message signed and ready to POST."""

    message: WebhookMessage
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Sent:
    """What the endpoint answered (``status_code`` None: no answer, ``error`` says why)."""

    status_code: int | None
    latency_ms: float
    error: str | None


@dataclass
class Deliverer:
    """Sends one due message, signed with every secret valid now, and records the attempt."""

    load: Loader
    save: Save
    transport: WebhookTransport
    box: SecretBox
    tell: Tell
    load_many: Callable[[Sequence[UUID]], Any]
    # A number in [-1, 1] per retry: how far its wait is stretched (domain.webhooks.JITTER).
    jitter: Callable[[], float] = field(default=lambda: random.uniform(-1.0, 1.0))

    def deliver(self, ident: UUID, now: datetime, *, force: bool = False) -> Attempt | None:
        """Attempt message ``ident`` if it is pending and due (any time with ``force``);
        return what happened, or None when there was nothing to do."""
        ready = self.prepare(ident, now, force=force)
        if not isinstance(ready, Ready):
            return ready
        return self.record(ready, self.send(ready), now)

    def prepare(self, ident: UUID, now: datetime, *, force: bool = False) -> Ready | Attempt | None:
        """Return the signed request of a due message; or what happened instead (not due
        yet, abandoned for a disabled endpoint), or None when there is nothing to do."""
        message = self.load(WebhookMessage, ident)
        if message is None or not message.pending:
            return None
        due = message.next_attempt
        if not force and due is not None and due > now:
            return Attempt(ident, message.status, due)
        endpoint = self.load(WebhookEndpoint, endpoint_id(message.endpoint))
        return self.signed(message, endpoint, now)

    def signed(
        self, message: WebhookMessage, endpoint: WebhookEndpoint | None, now: datetime
    ) -> Ready | Attempt:
        """Return the signed request of a due ``message`` to ``endpoint``, or the message
        abandoned when the endpoint is disabled or gone."""
        ident = message.id
        if endpoint is None or not endpoint.enabled or not message.payload.startswith("{"):
            if endpoint is None or endpoint.removed:
                reason = "endpoint removed"
            elif not endpoint.enabled:
                reason = f"endpoint disabled: {endpoint.disabled_reason}"
            else:
                # The person it names was erased (privacy/personal.py): nothing left to send.
                reason = "its content was erased"
            message.abandon(reason=reason, timestamp=now)
            self._save(message)
            return Attempt(ident, message.status, None)
        body = message.payload.encode("utf-8")
        stamp = int(now.timestamp())
        keys = [self.box.open(sealed) for sealed in endpoint.secrets(now)]
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message.webhook_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature_header(keys, message.webhook_id, stamp, body),
        }
        return Ready(message, endpoint.url, headers, body)

    def send(self, ready: Ready) -> Sent:
        """POST a prepared request (no store access: safe to run many at once)."""
        started = time.perf_counter()
        try:
            response = self.transport.post(ready.url, ready.headers, ready.body)
        except WebhookTransportError as failure:
            latency = (time.perf_counter() - started) * 1000
            return Sent(None, latency, failure.reason[:_ERROR_CHARS])
        code = response.status
        return Sent(code, response.latency_ms, None if 200 <= code < 300 else f"HTTP {code}")

    def record(self, ready: Ready, sent: Sent, now: datetime) -> Attempt:
        """Record the attempt's outcome (and the endpoint's, when it changes)."""
        return self._record(
            ready.message, sent.error is None, sent.status_code, sent.latency_ms, sent.error, now
        )

    def record_many(self, done: Sequence[tuple[Ready, Sent]], now: datetime) -> list[Attempt]:
        """Record many attempts, a few dozen per transaction; where one conflicts (another
        worker, an owner changing the endpoint), each of its part on its own."""
        attempts: list[Attempt] = []
        for start in range(0, len(done), _TOGETHER):
            part = done[start : start + _TOGETHER]
            try:
                attempts += self._record_together(part, now)
            except RecordConflictError:
                for ready, sent in part:
                    fresh = self.load(WebhookMessage, ready.message.id)
                    if fresh is not None and fresh.pending:
                        attempts.append(self.record(replace(ready, message=fresh), sent, now))
        return attempts

    def _record_together(self, done: Sequence[tuple[Ready, Sent]], now: datetime) -> list[Attempt]:
        keys = list(dict.fromkeys(ready.message.endpoint for ready, _ in done))
        loaded = self.load_many([endpoint_id(key) for key in keys])
        endpoints = {e.key: e for e in loaded.values() if isinstance(e, WebhookEndpoint)}
        disabled: list[WebhookEndpoint] = []
        attempts: list[Attempt] = []
        for ready, sent in done:
            message, ok = ready.message, sent.error is None
            self._attempted(message, ok, sent, now)
            endpoint = endpoints.get(message.endpoint)
            off = False
            if endpoint is not None:
                if ok:
                    endpoint.succeeded(now)
                else:
                    off = endpoint.failed(now)
            if off and endpoint is not None:
                disabled.append(endpoint)
            attempts.append(
                Attempt(message.id, message.status, message.next_attempt, sent.status_code, off)
            )
        self.save(*(ready.message for ready, _ in done), *endpoints.values())
        for endpoint in disabled:
            self._disabled(endpoint, now)
        return attempts

    def _attempted(self, message: WebhookMessage, ok: bool, sent: Sent, now: datetime) -> None:
        delay = None if ok else retry_delay(message.round + 1, self.jitter())
        message.attempted(
            ok=ok,
            status_code=sent.status_code,
            latency_ms=round(sent.latency_ms, 1),
            error=sent.error,
            next_attempt=now + delay if delay is not None else None,
            timestamp=now,
        )

    def _record(
        self,
        message: WebhookMessage,
        ok: bool,
        code: int | None,
        latency: float,
        error: str | None,
        now: datetime,
    ) -> Attempt:
        delay = None if ok else retry_delay(message.round + 1, self.jitter())
        message.attempted(
            ok=ok,
            status_code=code,
            latency_ms=round(latency, 1),
            error=error,
            next_attempt=now + delay if delay is not None else None,
            timestamp=now,
        )
        for attempt in range(_ATTEMPTS):
            endpoint = self.load(WebhookEndpoint, endpoint_id(message.endpoint))
            disabled = False
            if endpoint is not None:
                if ok:
                    endpoint.succeeded(now)
                else:
                    disabled = endpoint.failed(now)
            try:
                self.save(message, *([endpoint] if endpoint is not None else []))
            except RecordConflictError:
                # The endpoint changed meanwhile (another delivery noted the same failure,
                # or its owner changed it): note this attempt against its new state. Only
                # this worker attempts this message, so the message itself never conflicts.
                if attempt == _ATTEMPTS - 1:
                    raise
                continue
            if disabled and endpoint is not None:
                self._disabled(endpoint, now)
            return Attempt(message.id, message.status, message.next_attempt, code, disabled)
        raise AssertionError("unreachable")  # pragma: no cover

    def _disabled(self, endpoint: WebhookEndpoint, now: datetime) -> None:
        log.warning("webhook endpoint %s disabled: %s", endpoint.key, endpoint.disabled_reason)
        if endpoint.contact is None:
            return
        facts = {
            "endpoint": endpoint.key,
            "url": endpoint.url,
            "reason": endpoint.disabled_reason or "",
        }
        self.tell(Notice("webhook-disabled", endpoint.contact, None, None, facts), now)

    def _save(self, *aggregates: Aggregate) -> None:
        try:
            self.save(*aggregates)
        except RecordConflictError:
            log.info("webhook message changed meanwhile; the next round looks again")


@dataclass
class PendingMessages:
    """The messages still to attempt and when, followed from the event log (embedded).

    A process starts from the beginning of the log (read for these topics only) and then reads
    only what is new: a message's state is always the log's, never a guess kept elsewhere.
    """

    app: Any
    page: int = 1000
    position: int = 0
    due_at: dict[UUID, datetime] = field(default_factory=dict)

    def catch_up(self) -> None:
        """Read what the log says changed since the last call."""
        recorder = self.app.recorder
        stop = recorder.max_notification_id() or 0
        while self.position < stop:
            batch = recorder.select_notifications(
                self.position, self.page, stop=stop, topics=MESSAGE_TOPICS, inclusive_of_start=False
            )
            for notification in batch:
                event = self.app.mapper.to_domain_event(notification)
                self._apply(event)
            if len(batch) < self.page:
                break
            self.position = batch[-1].id
        self.position = stop

    def _apply(self, event: Any) -> None:
        ident = event.originator_id
        ident = ident if isinstance(ident, UUID) else UUID(str(ident))
        name = type(event).__name__
        if name in ("Created", "Requeued"):
            self.due_at[ident] = event.timestamp
        elif name == "Attempted" and event.next_attempt is not None:
            self.due_at[ident] = event.next_attempt
        else:
            self.due_at.pop(ident, None)

    def due(self, now: datetime) -> list[UUID]:
        """Return the messages due at ``now``, the longest waiting first."""
        found = [(when, ident) for ident, when in self.due_at.items() if when <= now]
        return [ident for _, ident in sorted(found)]

    def next_due(self) -> datetime | None:
        """Return when the next attempt is due, if any is."""
        return min(self.due_at.values(), default=None)


@dataclass(frozen=True)
class Round:
    """What one background round did."""

    fanned_out: int
    attempts: list[Attempt]

    @property
    def delivered(self) -> int:
        """Return how many messages were delivered this round."""
        return sum(1 for a in self.attempts if a.status == "delivered")


@dataclass
class Rounds:
    """The embedded server's webhook work: fan out what the log added, then deliver what is
    due, ``workers`` at a time (deliveries wait on the network, not on this process)."""

    app: Any
    fan_out: FanOut
    deliverer: Deliverer
    position: Callable[[], int]
    advance: Callable[[int], None]
    workers: int = 8
    page: int = 1000
    pending: PendingMessages = field(init=False)

    def __post_init__(self) -> None:
        self.pending = PendingMessages(self.app)

    def run(self, now: datetime) -> Round:
        """Fan out the new events, then attempt every due message once."""
        fanned = self.fan_out_new(now)
        self.pending.catch_up()
        due = self.pending.due(now)
        attempts: list[Attempt] = []
        # Only the POSTs run at once: the store is read and written by this thread alone,
        # since writers queueing on one SQLite file cost more than they overlap.
        ready: list[Ready] = []
        for prepared in self._prepared(due, now):
            if isinstance(prepared, Ready):
                ready.append(prepared)
            elif prepared is not None:
                attempts.append(prepared)
        if ready:
            with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(ready)))) as pool:
                answers = list(pool.map(self.deliverer.send, ready))
            attempts += self.deliverer.record_many(list(zip(ready, answers, strict=True)), now)
        if due:
            self.pending.catch_up()
        return Round(fanned, attempts)

    def _prepared(self, due: Sequence[UUID], now: datetime) -> Iterator[Ready | Attempt]:
        """Sign the due messages, reading them and their endpoints a page at a time."""
        for start in range(0, len(due), self.page):
            found = self.app.load_many(due[start : start + self.page])
            messages = [m for m in found.values() if isinstance(m, WebhookMessage) and m.pending]
            keys = {m.endpoint for m in messages}
            endpoints = self.app.load_many([endpoint_id(key) for key in keys])
            for message in messages:
                if message.next_attempt is not None and message.next_attempt > now:
                    continue  # changed since the log said it was due (send again, another round)
                yield self.deliverer.signed(
                    message, endpoints.get(endpoint_id(message.endpoint)), now
                )

    def fan_out_new(self, now: datetime) -> int:
        """Fan out the webhook events the log holds past the last position; return how many
        messages were recorded."""
        recorder = self.app.recorder
        start = self.position()
        stop = recorder.max_notification_id() or 0
        made = 0
        # With no endpoint to send to, nothing new could ever go anywhere (an endpoint gets
        # nothing from before it existed): move on without decoding the events.
        anyone: bool | None = None
        for batch in self._pages(start, stop):
            if anyone is None:
                endpoints = endpoints_of(self.fan_out.load, self.fan_out.load_many)
                anyone = any(e.enabled for e in endpoints)
            if not anyone:
                break
            events = [self.app.mapper.to_domain_event(n) for n in batch]
            made += len(self.fan_out.events(events, now))
        if stop > start:
            self.advance(stop)
        return made

    def _pages(self, start: int, stop: int) -> Iterator[Sequence[Any]]:
        recorder = self.app.recorder
        while start < stop:
            batch = recorder.select_notifications(
                start, self.page, stop=stop, topics=TOPICS, inclusive_of_start=False
            )
            if batch:
                yield batch
            if len(batch) < self.page:
                return
            start = batch[-1].id
