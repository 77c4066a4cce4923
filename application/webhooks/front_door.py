"""The webhooks front door: endpoints (register, list, change, rotate, remove), their delivery
logs with "send again", and the delivery work (the embedded server's rounds, AWS's jobs).

Who may see or manage an endpoint is the API keys' rule: an organizer their own, a domain's
owner their domain's (and its organizers'), admins every one; anyone else is told it does not
exist. A secret is returned once, by ``register`` and ``rotate``, and never read back.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import RecordConflictError, StoredEvent

from application.ports import Job, WorkQueue
from application.stores import Loader
from application.webhooks.delivery import (
    Attempt,
    Bookmark,
    Deliverer,
    FanOut,
    Round,
    Rounds,
    Save,
)
from application.webhooks.events import TOPICS
from application.webhooks.ports import WebhookTransport
from application.webhooks.signing import SecretBox, new_secret
from domain.addresses import address_problem
from domain.api_keys import Principal, Scope
from domain.identity import normalize_address
from domain.webhooks import (
    EVENT_TYPES,
    ROTATION_OVERLAP,
    InvalidWebhookError,
    WebhookEndpoint,
    WebhookIndex,
    WebhookLogPage,
    WebhookMessage,
    checked_event_types,
    checked_url,
    endpoint_id,
    endpoint_index_id,
    log_page_id,
    message_id,
)

__all__ = [
    "EVENT_TYPES",
    "AttemptView",
    "EndpointView",
    "InvalidWebhookError",
    "MessagePage",
    "MessageView",
    "UnknownWebhookError",
    "Webhooks",
]

_KEY_BYTES = 10
_MAX_PAGE = 200
# SQS holds a message back for at most 15 minutes: a longer wait is that, again.
_LONGEST_QUEUE_DELAY = 900


class UnknownWebhookError(LookupError):
    """No endpoint (or message) of that id that the caller may see."""


@dataclass(frozen=True)
class EndpointView:
    """What anyone who may manage an endpoint sees: never its secrets."""

    key: str
    url: str
    event_types: tuple[str, ...]
    owner_kind: str
    owner: str | None
    contact: str | None
    description: str | None
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    created: datetime
    previous_secret_until: datetime | None

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, now: datetime) -> EndpointView:
        """Return the view of a stored endpoint."""
        until = endpoint.previous_until
        return cls(
            key=endpoint.key,
            url=endpoint.url,
            event_types=tuple(endpoint.event_types),
            owner_kind=str(endpoint.owner_kind),
            owner=endpoint.owner,
            contact=endpoint.contact,
            description=endpoint.description,
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            disabled_at=endpoint.disabled_at,
            failing_since=endpoint.failing_since,
            created=endpoint.created,
            previous_secret_until=until if until is not None and until > now else None,
        )


@dataclass(frozen=True)
class AttemptView:
    """One attempt of a message: when, the HTTP status (None: no answer), latency, error."""

    at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None
    ok: bool


@dataclass(frozen=True)
class MessageView:
    """One message to an endpoint, with its attempts."""

    webhook_id: str
    event_type: str
    status: str
    created: datetime
    next_attempt: datetime | None
    attempts: tuple[AttemptView, ...]

    @classmethod
    def of(cls, message: WebhookMessage) -> MessageView:
        """Return the view of a stored message."""
        return cls(
            webhook_id=message.webhook_id,
            event_type=message.event_type,
            status=message.status,
            created=message.created,
            next_attempt=message.next_attempt,
            attempts=tuple(AttemptView(**attempt) for attempt in message.attempts),
        )


@dataclass(frozen=True)
class MessagePage:
    """A page of an endpoint's delivery log, newest first, and the cursor of the next."""

    messages: list[MessageView]
    cursor: str | None


def _new_key() -> str:
    return "ep_" + base64.b32encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii").lower()


class Webhooks:
    """Endpoints, delivery logs and the delivery work, behind one door."""

    def __init__(
        self,
        app: Any,
        *,
        transport: WebhookTransport,
        box: SecretBox,
        tell: Callable[..., None],
        https_only: bool,
        bookmark: Bookmark,
        queue: WorkQueue | None = None,
    ) -> None:
        self.app = app
        self.load: Loader = app.load
        self.save: Save = app.save
        self.transport = transport
        self.box = box
        self.https_only = https_only
        self.queue = queue
        self.fan_out = FanOut(self.load, self.save, app.load_many)
        self.deliverer = Deliverer(self.load, self.save, transport, box, tell, app.load_many)
        self.rounds = Rounds(app, self.fan_out, self.deliverer, bookmark.position, bookmark.advance)

    # -- endpoints ----------------------------------------------------------------------

    def register(
        self,
        principal: Principal,
        url: str,
        event_types: Sequence[str],
        now: datetime,
        *,
        contact: str | None = None,
        description: str | None = None,
    ) -> tuple[EndpointView, str]:
        """Register an endpoint owned by ``principal``'s scope; return it and its secret
        (shown this once). Raise InvalidWebhookError for a URL the server may not reach."""
        url = self._checked_url(url)
        types = checked_event_types(tuple(event_types))
        contact = self._contact(principal, contact)
        secret = new_secret()
        endpoint = WebhookEndpoint(
            key=_new_key(),
            owner_kind=principal.kind.value,
            owner=principal.subject,
            url=url,
            event_types=types,
            secret=self.box.seal(secret),
            contact=contact,
            description=(description or "").strip()[:200] or None,
            timestamp=now,
        )
        for attempt in range(5):
            index = self.load(WebhookIndex, endpoint_index_id()) or WebhookIndex(timestamp=now)
            index.add(key=endpoint.key, timestamp=now)
            try:
                self.save(endpoint, index)
            except RecordConflictError:
                if attempt == 4:
                    raise
                continue
            break
        return EndpointView.of(endpoint, now), secret

    def endpoints(self, principal: Principal, now: datetime) -> list[EndpointView]:
        """Return the endpoints ``principal`` may see, oldest first."""
        index = self.load(WebhookIndex, endpoint_index_id())
        if index is None:
            return []
        found = self.app.load_many([endpoint_id(key) for key in index.keys])
        endpoints = [
            e for e in found.values() if isinstance(e, WebhookEndpoint) and e.visible_to(principal)
        ]
        return [EndpointView.of(e, now) for e in sorted(endpoints, key=lambda e: e.created)]

    def endpoint(self, principal: Principal, key: str, now: datetime) -> EndpointView:
        """Return one endpoint; raise UnknownWebhookError if ``principal`` may not see it."""
        return EndpointView.of(self._endpoint(principal, key), now)

    def update(
        self,
        principal: Principal,
        key: str,
        now: datetime,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> EndpointView:
        """Change an endpoint's URL, event types, description, or enable or disable it."""
        endpoint = self._endpoint(principal, key)
        new_url = self._checked_url(url) if url is not None else endpoint.url
        types = (
            checked_event_types(tuple(event_types))
            if event_types is not None
            else endpoint.event_types
        )
        text = (description.strip()[:200] or None) if description is not None else None
        new_description = text if description is not None else endpoint.description
        if (new_url, tuple(types), new_description) != (
            endpoint.url,
            tuple(endpoint.event_types),
            endpoint.description,
        ):
            endpoint.change(
                url=new_url, event_types=types, description=new_description, timestamp=now
            )
        if enabled is True and not endpoint.enabled:
            endpoint.enable(timestamp=now)
        elif enabled is False and endpoint.enabled:
            endpoint.disable(reason="disabled by its owner", timestamp=now)
        self.save(endpoint)
        return EndpointView.of(endpoint, now)

    def rotate(self, principal: Principal, key: str, now: datetime) -> tuple[EndpointView, str]:
        """Give an endpoint a new secret (returned this once); the old one signs too for
        :data:`ROTATION_OVERLAP`, so its receiver can switch without missing a message."""
        endpoint = self._endpoint(principal, key)
        secret = new_secret()
        endpoint.rotate(
            secret=self.box.seal(secret), previous_until=now + ROTATION_OVERLAP, timestamp=now
        )
        self.save(endpoint)
        return EndpointView.of(endpoint, now), secret

    def remove(self, principal: Principal, key: str, now: datetime) -> None:
        """Remove an endpoint for good: nothing more is delivered to it or shown."""
        endpoint = self._endpoint(principal, key)
        endpoint.remove(timestamp=now)
        for attempt in range(5):
            index = self.load(WebhookIndex, endpoint_index_id())
            if index is not None:
                index.drop(key=key, timestamp=now)
            try:
                self.save(endpoint, *([index] if index is not None else []))
            except RecordConflictError:
                if attempt == 4:
                    raise
                endpoint = self._endpoint(principal, key)
                endpoint.remove(timestamp=now)
                continue
            return

    # -- delivery logs ------------------------------------------------------------------

    def deliveries(
        self, principal: Principal, key: str, *, limit: int = 50, cursor: str | None = None
    ) -> MessagePage:
        """Return a page of the endpoint's messages, newest first, with their attempts."""
        endpoint = self._endpoint(principal, key)
        limit = max(1, min(limit, _MAX_PAGE))
        page, position = self._cursor(cursor, endpoint)
        wanted: list[str] = []
        next_cursor: str | None = None
        while page >= 0:
            entries = self._log_entries(key, page)
            if position is None:
                position = len(entries)
            while position > 0 and len(wanted) < limit:
                position -= 1
                wanted.append(entries[position])
            if len(wanted) >= limit:
                if position > 0 or page > 0:
                    next_cursor = f"{page}.{position}" if position > 0 else f"{page - 1}."
                break
            page, position = page - 1, None
        ids = [message_id(key, webhook) for webhook in wanted]
        found = self.app.load_many(ids)
        messages = [
            MessageView.of(found[i]) for i in ids if isinstance(found.get(i), WebhookMessage)
        ]
        return MessagePage(messages, next_cursor)

    def delivery(self, principal: Principal, key: str, webhook_id: str) -> MessageView:
        """Return one message of the endpoint's log."""
        self._endpoint(principal, key)
        message = self.load(WebhookMessage, message_id(key, webhook_id))
        if message is None:
            raise UnknownWebhookError(f"no message {webhook_id} to endpoint {key}")
        return MessageView.of(message)

    def send_again(
        self, principal: Principal, key: str, webhook_id: str, now: datetime
    ) -> MessageView:
        """Queue a message of the endpoint's log for another delivery now, on a fresh retry
        schedule, with the same ``webhook-id`` (its receiver may have it already)."""
        endpoint = self._endpoint(principal, key)
        if not endpoint.enabled:
            raise InvalidWebhookError("the endpoint is disabled: enable it first")
        message = self.load(WebhookMessage, message_id(key, webhook_id))
        if message is None:
            raise UnknownWebhookError(f"no message {webhook_id} to endpoint {key}")
        message.requeue(timestamp=now)
        self.save(message)
        self._queue([message.id])
        return MessageView.of(message)

    # -- the work -----------------------------------------------------------------------

    def run(self, now: datetime) -> Round:
        """One round of the embedded background work: fan out what the log added since the
        last round, then attempt every message that is due."""
        return self.rounds.run(now)

    def fan_out_stored(self, stored: Iterable[StoredEvent], now: datetime) -> list[UUID]:
        """Fan out the webhook events among stored events (AWS: the change stream's), and
        queue a delivery job for each new message (delivered at once without a queue)."""
        decode = self.app.mapper.to_domain_event
        events = [decode(s) for s in stored if s.topic in TOPICS]
        made = self.fan_out.events(events, now)
        if self.queue is None:
            for ident in made:
                self.deliverer.deliver(ident, now)
        else:
            self._queue(made)
        return made

    def work(self, message: UUID, now: datetime) -> Attempt | None:
        """Do one queued delivery job (AWS): attempt the message if due, and queue the job
        again for its next attempt while it is pending."""
        attempt = self.deliverer.deliver(message, now)
        if attempt is not None and attempt.next_attempt is not None and self.queue is not None:
            wait = (attempt.next_attempt - now).total_seconds()
            delay = max(0, min(_LONGEST_QUEUE_DELAY, int(wait) + 1))
            self.queue.put([Job("webhook", message, delay=delay)])
        return attempt

    # -- helpers ------------------------------------------------------------------------

    def _queue(self, messages: Sequence[UUID]) -> None:
        if self.queue is not None and messages:
            self.queue.put([Job("webhook", ident) for ident in messages])

    def _checked_url(self, url: str) -> str:
        url = checked_url(url, https_only=self.https_only)
        refusal = self.transport.refusal(url)
        if refusal is not None:
            raise InvalidWebhookError(f"the server may not deliver there: {refusal}")
        return url

    def _contact(self, principal: Principal, contact: str | None) -> str | None:
        if contact is not None:
            address = normalize_address(contact)
            problem = address_problem(address)
            if problem is not None:
                raise InvalidWebhookError(f"the contact is not an address: {problem}")
            return address
        return principal.subject if principal.kind == Scope.ORGANIZER else None

    def _endpoint(self, principal: Principal, key: str) -> WebhookEndpoint:
        endpoint = self.load(WebhookEndpoint, endpoint_id(key)) if key.isascii() else None
        if endpoint is None or not endpoint.visible_to(principal):
            raise UnknownWebhookError(f"no webhook endpoint {key}")
        return endpoint

    def _log_entries(self, key: str, page: int) -> list[str]:
        found = self.load(WebhookLogPage, log_page_id(key, page))
        return list(found.entries) if found is not None else []

    @staticmethod
    def _cursor(cursor: str | None, endpoint: WebhookEndpoint) -> tuple[int, int | None]:
        if not cursor:
            return endpoint.log_pages - 1, None
        page, _, position = cursor.partition(".")
        try:
            return int(page), (int(position) if position else None)
        except ValueError:
            raise InvalidWebhookError("the cursor is not one this server handed out") from None
