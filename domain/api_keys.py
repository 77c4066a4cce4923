"""API keys of the reporting API: what each key may read, and the hash of its secret."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.addresses import address_problem
from domain.identity import NAMESPACE, normalize_address


class Scope(StrEnum):
    """What a key may read: one organizer's invites, one domain's, or everything."""

    ORGANIZER = "organizer"
    DOMAIN = "domain"
    ADMIN = "admin"


class InvalidSubjectError(ValueError):
    """The subject does not fit the key's scope (a bad address or domain name, or a stray one)."""


def api_key_id(key_id: str) -> UUID:
    """Return the aggregate id of the key with the public id ``key_id``."""
    return uuid5(NAMESPACE, "api-key\n" + key_id)


def key_ring_id() -> UUID:
    """Return the id of the one index of issued keys."""
    return uuid5(NAMESPACE, "api-key-ring")


def hash_secret(secret: str) -> str:
    """Return the hex SHA-256 under which a key's secret is stored."""
    # A fast unsalted hash is right here, unlike for passwords: the secret is 32 random bytes
    # (256 bits of entropy), so there is no dictionary to try and nothing a slow hash would add.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def domain_of(address: str) -> str | None:
    """Return the lower-cased part after the last @ of ``address``, or None without an @."""
    _, at, domain = normalize_address(address).rpartition("@")
    return domain if at else None


def scope_subject(kind: Scope, subject: str | None) -> str | None:
    """Return ``subject`` normalized for ``kind``; raise InvalidSubjectError if it does not fit."""
    if kind == Scope.ADMIN:
        if subject is not None:
            raise InvalidSubjectError("an admin key reads everything: it takes no subject")
        return None
    if not subject or not subject.strip():
        raise InvalidSubjectError(f"a {kind.value} key needs a subject")
    if kind == Scope.ORGANIZER:
        address = normalize_address(subject)
        problem = address_problem(address)
        if problem:
            raise InvalidSubjectError(f"{subject!r} is not an organizer address: {problem}")
        return address
    name = subject.strip().lower()
    # The domain rules of addresses, through a local part that is always valid.
    if "@" in name or address_problem("postmaster@" + name):
        raise InvalidSubjectError(f"{subject!r} is not a domain name (like example.com)")
    return name


@dataclass(frozen=True)
class Principal:
    """Who a request authenticated as, and what it may read."""

    kind: Scope
    subject: str | None
    key_id: str

    def may_read_organizer(self, address: str) -> bool:
        """Return whether this principal may read the invites organized by ``address``."""
        if self.kind == Scope.ADMIN:
            return True
        if self.subject is None:  # only admin keys have none; fail closed all the same
            return False
        if self.kind == Scope.ORGANIZER:
            return normalize_address(address) == self.subject
        # Exactly the domain: sub.example.com and evil-example.com are not example.com.
        return self.kind == Scope.DOMAIN and domain_of(address) == self.subject

    def may_read_domain(self, domain: str) -> bool:
        """Return whether this principal may read every invite of organizers in ``domain``."""
        if self.kind == Scope.ADMIN:
            return True
        return (
            self.kind == Scope.DOMAIN
            and self.subject is not None
            and domain.strip().lower() == self.subject
        )


class ApiKey(Aggregate):
    """One API key: its scope, a label for people, the hash of its secret, and revocation."""

    @staticmethod
    def create_id(key_id: str, **_: Any) -> UUID:
        """Return the id derived from the key's public id."""
        return api_key_id(key_id)

    @event("Issued")
    def __init__(
        self,
        key_id: str,
        kind: str,
        subject: str | None,
        label: str | None,
        secret_hash: str,
        timestamp: datetime,
    ) -> None:
        self.key_id = key_id
        self.kind = Scope(kind)
        self.subject = subject
        self.label = label
        self.secret_hash = secret_hash
        self.created = timestamp
        self.revoked: datetime | None = None
        self.revocation_reason: str | None = None

    def accepts(self, secret: str) -> bool:
        """Return whether ``secret`` is this key's and the key is not revoked."""
        # Compared whatever the revocation, in constant time: timing tells nothing of the hash.
        matches = hmac.compare_digest(self.secret_hash, hash_secret(secret))
        # A revocation counts whatever its timestamp: the machine that recorded it and the one
        # serving a request may disagree on the time, and a revoked key must fail at once.
        return matches and self.revoked is None

    def principal(self) -> Principal:
        """Return what a request made with this key may read."""
        return Principal(kind=Scope(self.kind), subject=self.subject, key_id=self.key_id)

    def revoke(self, reason: str | None, timestamp: datetime) -> None:
        """Revoke the key for good; revoking it again keeps the first time and reason."""
        if self.revoked is None:
            self._revoke(reason=reason, timestamp=timestamp)

    @event("Revoked")
    def _revoke(self, reason: str | None, timestamp: datetime) -> None:
        self.revoked = timestamp
        self.revocation_reason = reason


class KeyRing(Aggregate):
    """The ids of every key issued, in order, so listing keys needs no scan of the store."""

    # One stream for all keys is fine: keys are issued by hand and rarely, so it stays short
    # and two issuers racing on it (a version conflict, not a lost key) is all but impossible.

    @staticmethod
    def create_id(**_: Any) -> UUID:
        """Return the one well-known id of the key ring."""
        return key_ring_id()

    @event("Started")
    def __init__(self, timestamp: datetime) -> None:
        self.key_ids: list[str] = []

    @event("KeyAdded")
    def add(self, key_id: str, timestamp: datetime) -> None:
        """Record that the key ``key_id`` was issued."""
        self.key_ids.append(key_id)
