"""Webhooks: endpoints organizers (domain owners, admins) register, and each message sent to one.

An endpoint (``WebhookEndpoint``) is one URL, the event types it wants, its signing secrets
(sealed by the application before they reach an event: the domain never sees them in clear)
and its state: enabled, or disabled with a reason, and since when deliveries have failed. A
message (``WebhookMessage``) is one event for one endpoint, keyed by (endpoint, webhook id), so
the same event reaching the fan-out twice is recorded once; it keeps every attempt (status
code, latency, error, time) and when the next one is due. The schedule follows the Standard
Webhooks recommendation and retries for more than a day, the time after which an endpoint that
never answered is disabled.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.api_keys import Principal, Scope, domain_of
from domain.identity import NAMESPACE, normalize_address

# The event types an endpoint may ask for (the payload's ``type``).
EVENT_TYPES = (
    "invite.created",
    "invite.updated",
    "invite.cancelled",
    "invite.held",
    "answer.recorded",
    "delivery.failed",
    "delivery.bounced",
    "recipient.unsubscribed",
    "bulk.finished",
)
# The wait before each attempt after the first (Standard Webhooks' schedule): 8 attempts over
# about 27.5 hours, so an endpoint is retried for more than the day it may fail for.
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
# Each wait is stretched or shrunk by up to this fraction, so endpoints that failed together
# (an outage) are not all retried in the same second.
JITTER = 0.1
# An endpoint failing for this long, with no success between, is disabled and its owner told.
DISABLE_AFTER = timedelta(days=1)
# The old secret signs too for this long after a rotation: receivers switch without a gap.
ROTATION_OVERLAP = timedelta(hours=24)
MAX_URL_LENGTH = 2000


class InvalidWebhookError(ValueError):
    """A URL or event type an endpoint cannot have (the message says why)."""


def endpoint_id(key: str) -> UUID:
    """Return the aggregate id of the endpoint with the public id ``key``."""
    return uuid5(NAMESPACE, "webhook-endpoint\n" + key)


def endpoint_index_id() -> UUID:
    """Return the id of the one index of registered endpoints."""
    return uuid5(NAMESPACE, "webhook-endpoints")


def message_id(endpoint_key: str, webhook_id: str) -> UUID:
    """Return the aggregate id of one webhook message to one endpoint."""
    return uuid5(NAMESPACE, f"webhook-message\n{endpoint_key}\n{webhook_id}")


def log_page_id(endpoint_key: str, page: int) -> UUID:
    """Return the id of page ``page`` (from 0) of an endpoint's delivery log."""
    return uuid5(NAMESPACE, f"webhook-log\n{endpoint_key}\n{page}")


def webhook_id(stream: UUID, version: int) -> str:
    """Return the ``webhook-id`` of the event at ``version`` of ``stream``: the same on every
    endpoint and on every redelivery of the event, so a receiver deduplicates by it."""
    return "msg_" + uuid5(NAMESPACE, f"webhook\n{stream}\n{version}").hex


def checked_event_types(types: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Return ``types`` de-duplicated in the canonical order; raise for an unknown or no type."""
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidWebhookError(
            f"unknown event types: {', '.join(unknown)} (known: {', '.join(EVENT_TYPES)})"
        )
    if not types:
        raise InvalidWebhookError("choose at least one event type")
    return tuple(t for t in EVENT_TYPES if t in types)


def checked_url(url: str, *, https_only: bool) -> str:
    """Return ``url`` if it can be an endpoint: http(s), a host, no credentials or fragment."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidWebhookError(f"not a URL: {error}") from None
    schemes = ("https",) if https_only else ("https", "http")
    if parts.scheme not in schemes:
        raise InvalidWebhookError(f"the URL must start with {' or '.join(schemes)}://")
    if not parts.hostname:
        raise InvalidWebhookError("the URL names no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookError("the URL must not hold credentials: the signature proves us")
    if parts.fragment:
        raise InvalidWebhookError("the URL must not have a #fragment")
    if port == 0:
        raise InvalidWebhookError("the URL's port must not be 0")
    return url


def refused_address(address: str) -> str | None:
    """Return why an endpoint must not be reached at IP ``address`` from a server (SSRF), or
    None when it is a public address: private, loopback, link-local (cloud metadata),
    multicast, reserved and unspecified ranges are refused, IPv4-mapped IPv6 as its IPv4."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
    for reason, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("not globally routable", not ip.is_global),
    ):
        if flag:
            return f"{address} is a {reason} address"
    return None


def retry_delay(attempts: int, jitter: float) -> timedelta | None:
    """Return the wait before the next attempt after ``attempts`` failed ones (None: give
    up); ``jitter`` in [-1, 1] scales it by up to :data:`JITTER` either way."""
    if attempts < 1 or attempts > len(RETRY_SCHEDULE):
        return None
    return RETRY_SCHEDULE[attempts - 1] * (1 + JITTER * max(-1.0, min(1.0, jitter)))


def owner_visible(owner_kind: str, owner: str | None, principal: Principal) -> bool:
    """Return whether ``principal`` may see and manage an endpoint of this owner: admins
    every one, a domain's owner its domain's and its organizers', an organizer its own."""
    if principal.kind == Scope.ADMIN:
        return True
    if owner is None:
        return False
    if owner_kind == Scope.ORGANIZER:
        return principal.may_read_organizer(owner)
    return owner_kind == Scope.DOMAIN and principal.may_read_domain(owner)


class WebhookEndpoint(Aggregate):
    """One registered URL: what it wants, how it is signed, and whether it is delivered to."""

    @staticmethod
    def create_id(key: str, **_: Any) -> UUID:
        """Return the id derived from the endpoint's public id."""
        return endpoint_id(key)

    @event("Registered")
    def __init__(
        self,
        key: str,
        owner_kind: str,
        owner: str | None,
        url: str,
        event_types: tuple[str, ...],
        secret: str,
        contact: str | None,
        description: str | None,
        timestamp: datetime,
    ) -> None:
        self.key = key
        self.owner_kind = owner_kind
        self.owner = owner
        self.url = url
        self.event_types = tuple(event_types)
        self.secret = secret  # sealed by the application
        self.previous_secret: str | None = None
        self.previous_until: datetime | None = None
        self.contact = contact
        self.description = description
        self.created = timestamp
        self.enabled = True
        self.disabled_reason: str | None = None
        self.disabled_at: datetime | None = None
        self.failing_since: datetime | None = None
        self.removed = False
        # Pages of the delivery log (``WebhookLogPage``): the last one takes new messages.
        self.log_pages = 1

    def secrets(self, now: datetime) -> list[str]:
        """Return the sealed secrets that sign a message sent at ``now``: the current one, and
        the previous one until its overlap ends."""
        found = [self.secret]
        if self.previous_secret and self.previous_until and now < self.previous_until:
            found.append(self.previous_secret)
        return found

    def wants(self, event_type: str, organizer: str | None, occurred: datetime) -> bool:
        """Return whether an event of ``event_type`` about ``organizer``'s invite (None: a
        server-wide fact), which happened at ``occurred``, is for this endpoint. Events from
        before the endpoint existed are never sent to it (a replay of the log sends no
        history)."""
        if self.removed or not self.enabled or event_type not in self.event_types:
            return False
        if occurred < self.created:
            return False
        if self.owner_kind == Scope.ADMIN:
            return True
        if organizer is None or self.owner is None:
            return False
        if self.owner_kind == Scope.ORGANIZER:
            return normalize_address(organizer) == self.owner
        return domain_of(organizer) == self.owner

    @property
    def sees_addresses(self) -> bool:
        """Whether messages to this endpoint may name recipients: as in the API, a domain's
        owner reads its organizers' invites, never the people invited."""
        return self.owner_kind != Scope.DOMAIN

    def visible_to(self, principal: Principal) -> bool:
        """Return whether ``principal`` may see and manage this endpoint."""
        return not self.removed and owner_visible(self.owner_kind, self.owner, principal)

    def failed(self, now: datetime) -> bool:
        """Note a failed delivery at ``now``; return True when it disables the endpoint (it
        has failed, with no success between, for :data:`DISABLE_AFTER`)."""
        if not self.enabled:
            return False
        if self.failing_since is None:
            self._failing(timestamp=now)
            return False
        if now - self.failing_since >= DISABLE_AFTER:
            since = self.failing_since.strftime("%Y-%m-%d %H:%M UTC")
            self.disable(f"every delivery failed since {since}", now)
            return True
        return False

    def succeeded(self, now: datetime) -> None:
        """Note a successful delivery: the endpoint is no longer failing."""
        if self.failing_since is not None:
            self._recovered(timestamp=now)

    @event("Failing")
    def _failing(self, timestamp: datetime) -> None:
        self.failing_since = timestamp

    @event("Recovered")
    def _recovered(self, timestamp: datetime) -> None:
        self.failing_since = None

    @event("SecretRotated")
    def rotate(self, secret: str, previous_until: datetime, timestamp: datetime) -> None:
        """Sign with ``secret`` from now on, and with the current one too until
        ``previous_until``."""
        self.previous_secret = self.secret
        self.previous_until = previous_until
        self.secret = secret

    @event("Changed")
    def change(
        self,
        url: str,
        event_types: tuple[str, ...],
        description: str | None,
        timestamp: datetime,
    ) -> None:
        """Change where the endpoint is and what it wants."""
        self.url = url
        self.event_types = tuple(event_types)
        self.description = description

    @event("Disabled")
    def disable(self, reason: str, timestamp: datetime) -> None:
        """Stop delivering to the endpoint (until enabled again)."""
        self.enabled = False
        self.disabled_reason = reason
        self.disabled_at = timestamp

    @event("Enabled")
    def enable(self, timestamp: datetime) -> None:
        """Deliver to the endpoint again, counting failures afresh."""
        self.enabled = True
        self.disabled_reason = None
        self.disabled_at = None
        self.failing_since = None

    @event("LogPageOpened")
    def open_log_page(self, timestamp: datetime) -> None:
        """Start another page of the delivery log: the last one is full."""
        self.log_pages += 1

    @event("Removed")
    def remove(self, timestamp: datetime) -> None:
        """Remove the endpoint for good: nothing more is delivered or shown."""
        self.removed = True
        self.enabled = False


class WebhookIndex(Aggregate):
    """The public ids of every registered endpoint (small: endpoints are few)."""

    @staticmethod
    def create_id(**_: Any) -> UUID:
        """Return the one index's id."""
        return endpoint_index_id()

    @event("Started")
    def __init__(self, timestamp: datetime) -> None:
        self.keys: list[str] = []

    @event("Added")
    def add(self, key: str, timestamp: datetime) -> None:
        """Note a new endpoint."""
        self.keys.append(key)

    @event("Dropped")
    def drop(self, key: str, timestamp: datetime) -> None:
        """Forget a removed endpoint."""
        self.keys = [k for k in self.keys if k != key]


class WebhookLogPage(Aggregate):
    """One page of an endpoint's delivery log: the webhook ids of up to :attr:`SIZE`
    messages, oldest first, so neither the endpoint's stream nor a page grows without bound."""

    SIZE = 500

    @staticmethod
    def create_id(endpoint: str, page: int, **_: Any) -> UUID:
        """Return the id derived from (endpoint, page)."""
        return log_page_id(endpoint, page)

    @event("Opened")
    def __init__(self, endpoint: str, page: int, timestamp: datetime) -> None:
        self.endpoint = endpoint
        self.page = page
        self.entries: list[str] = []

    @property
    def full(self) -> bool:
        """Return whether the page takes no more messages."""
        return len(self.entries) >= self.SIZE

    @event("Logged")
    def log(self, webhook_id: str, timestamp: datetime) -> None:
        """Note one more message to the endpoint."""
        self.entries.append(webhook_id)


class WebhookMessage(Aggregate):
    """One event for one endpoint: its payload, each attempt, and when the next is due.

    ``status``: ``pending`` (an attempt is due at ``next_attempt``), ``delivered`` (a 2xx),
    ``failed`` (every attempt of the schedule failed), ``abandoned`` (the endpoint was disabled
    or removed). "Send again" makes any of them pending with a fresh schedule.
    """

    @staticmethod
    def create_id(endpoint: str, webhook_id: str, **_: Any) -> UUID:
        """Return the id derived from (endpoint, webhook id)."""
        return message_id(endpoint, webhook_id)

    @event("Created")
    def __init__(
        self,
        endpoint: str,
        webhook_id: str,
        event_type: str,
        payload: str,
        person: str | None,
        occurred: datetime,
        timestamp: datetime,
    ) -> None:
        self.endpoint = endpoint
        self.webhook_id = webhook_id
        self.event_type = event_type
        self.payload = payload
        self.person = person
        self.occurred = occurred
        self.created = timestamp
        self.status = "pending"
        self.next_attempt: datetime | None = timestamp
        self.attempts: list[dict[str, Any]] = []
        # Attempts since the message was (re)queued: the schedule's position.
        self.round = 0

    @event("Attempted")
    def attempted(
        self,
        ok: bool,
        status_code: int | None,
        latency_ms: float,
        error: str | None,
        next_attempt: datetime | None,
        timestamp: datetime,
    ) -> None:
        """Record one attempt and what follows it: delivered, the next try, or given up."""
        self.attempts.append(
            {
                "at": timestamp,
                "status_code": status_code,
                "latency_ms": latency_ms,
                "error": error,
                "ok": ok,
            }
        )
        self.round += 1
        self.next_attempt = None if ok else next_attempt
        if ok:
            self.status = "delivered"
        elif next_attempt is None:
            self.status = "failed"

    @event("Abandoned")
    def abandon(self, reason: str, timestamp: datetime) -> None:
        """Stop trying: the endpoint is disabled or removed."""
        self.status = "abandoned"
        self.next_attempt = None
        self.attempts.append(
            {"at": timestamp, "status_code": None, "latency_ms": 0.0, "error": reason, "ok": False}
        )

    @event("Requeued")
    def requeue(self, timestamp: datetime) -> None:
        """Send the message again now, on a fresh schedule (the same webhook id)."""
        self.status = "pending"
        self.next_attempt = timestamp
        self.round = 0

    @property
    def pending(self) -> bool:
        """Return whether an attempt is still to come."""
        return self.status == "pending"
