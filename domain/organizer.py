"""The organizer registry: who may create invites here, and how many."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.identity import organizer_id

_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidOriginError(ValueError):
    """Text that is not a web origin (http or https, a host, an optional port, no path)."""


def origin_of(url: str) -> str | None:
    """Return the normalized origin (``scheme://host[:port]``) of an http(s) URL, or None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if any(c.isspace() or c in "\\/@" for c in host):
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


def landing_origin(text: str) -> str:
    """Return ``text`` as a normalized origin; raise InvalidOriginError if it is not one."""
    origin = origin_of(text)
    parts = urlsplit(text.strip())
    if origin is None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidOriginError(
            f"{text!r} is not a web origin: give http(s)://host[:port], with no path"
        )
    return origin


class Standing(StrEnum):
    """An organizer's standing with this server."""

    ALLOWED = "allowed"
    SUSPENDED = "suspended"


class Organizer(Aggregate):
    """An organizer of record: standing, optional event limit, and invites counted."""

    # Web origins (scheme://host[:port]) a landing page may send people back to after they
    # asked for the invite. A class default, so records and snapshots older than it read ().
    landing_origins: tuple[str, ...] = ()
    # SHA-256 of the secret of the organizer's private drop-box address (create+SECRET@):
    # only the digest is kept, so the stored records never hold a usable address.
    private_address_digest: str | None = None

    @staticmethod
    def create_id(address: str, **_: Any) -> UUID:
        """Return the id derived from the organizer's normalized address."""
        return organizer_id(address)

    @event("Registered")
    def __init__(self, address: str, timestamp: datetime) -> None:
        self.address = address
        self.standing = Standing.ALLOWED
        self.max_events: int | None = None
        self.suspension_reason: str | None = None
        self.invite_count = 0
        # None: the server-wide default decides whether updates wait for review.
        self.review_updates: bool | None = None
        self.max_recipients: int | None = None

    def refusal(self) -> str | None:
        """Return why this organizer may not send anything now, or None."""
        if self.standing == Standing.SUSPENDED:  # snapshots restore it as plain text
            why = f": {self.suspension_reason}" if self.suspension_reason else ""
            return f"organizer {self.address} is suspended on this server{why}"
        return None

    def creation_refusal(self) -> str | None:
        """Return why this organizer may not create another invite now, or None."""
        refusal = self.refusal()
        if refusal is None and self.max_events is not None and self.invite_count >= self.max_events:
            refusal = (
                f"organizer {self.address} has reached the limit of {self.max_events} "
                "events; ask the server's operator to raise it"
            )
        return refusal

    @event("Allowed")
    def allow(self, timestamp: datetime) -> None:
        """Allow the organizer (again)."""
        self.standing = Standing.ALLOWED
        self.suspension_reason = None

    @event("Suspended")
    def suspend(self, reason: str | None, timestamp: datetime) -> None:
        """Suspend the organizer: their messages are rejected until allowed again."""
        self.standing = Standing.SUSPENDED
        self.suspension_reason = reason

    @event("Limited")
    def limit(self, max_events: int | None, timestamp: datetime) -> None:
        """Set (or with None, lift) the maximum number of events."""
        self.max_events = max_events

    @event("RecipientLimitSet")
    def limit_recipients(self, max_recipients: int | None, timestamp: datetime) -> None:
        """Set (or with None, lift) how many recipients one invite may be sent to."""
        self.max_recipients = max_recipients

    @event("ReviewSwitched")
    def switch_review(self, review: bool | None, timestamp: datetime) -> None:
        """Hold this organizer's updates for review (True), send them at once (False), or
        follow the server's default (None)."""
        self.review_updates = review

    def allows_landing(self, origin: str) -> bool:
        """Return whether a landing page may redirect to ``origin`` (exactly one set here)."""
        return origin in tuple(self.landing_origins)

    @event("LandingOriginsSet")
    def set_landing_origins(self, origins: list[str], timestamp: datetime) -> None:
        """Replace the web origins landing pages may redirect to (none: never redirect)."""
        self.landing_origins = tuple(origins)

    def opens(self, secret: str) -> bool:
        """Return whether ``secret`` is this organizer's private drop-box secret."""
        digest = self.private_address_digest
        given = secret_digest(secret)
        # Compared in constant time: the secret is a credential.
        return hmac.compare_digest(digest or "", given) and digest is not None

    @event("PrivateAddressIssued")
    def issue_private_address(self, digest: str, timestamp: datetime) -> None:
        """Make ``digest`` the private drop-box secret's; any earlier address stops working."""
        self.private_address_digest = digest

    @event("PrivateAddressRevoked")
    def revoke_private_address(self, timestamp: datetime) -> None:
        """Stop the private drop-box address from working."""
        self.private_address_digest = None

    @event("InviteCounted")
    def count_invite(self, invite: UUID, timestamp: datetime) -> None:
        """Count one more invite created by this organizer (counted while a limit is set)."""
        self.invite_count += 1


def secret_digest(secret: str) -> str:
    """Return the digest a private drop-box secret is kept as."""
    return hashlib.sha256(secret.strip().lower().encode("utf-8")).hexdigest()
