"""API keys of the reporting API: issue (the secret shown once), list, revoke, authenticate."""

from __future__ import annotations

import base64
import contextlib
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.persistence import RecordConflictError

from application.stores import Loader
from domain.api_keys import (
    ApiKey,
    InvalidSubjectError,
    KeyRing,
    Principal,
    Scope,
    api_key_id,
    hash_secret,
    key_ring_id,
    scope_subject,
)

__all__ = [
    "PREFIX",
    "ApiKeys",
    "InvalidSubjectError",
    "KeyView",
    "Principal",
    "Scope",
    "UnknownApiKeyError",
]

# A token is cis_<key id>_<secret>: the key id names the stored key, the secret proves it.
PREFIX = "cis_"
_KEY_ID_LENGTH = 8  # five random bytes in base32: no padding, and never an underscore
_KEY_ID_CHARACTERS = frozenset(string.ascii_lowercase + "234567")
_SECRET_BYTES = 32
_SECRET_LENGTH = 43  # 32 bytes in unpadded base64url, as secrets.token_urlsafe writes them
_SECRET_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_")
# Ids no token can name (a key id is eight base32 characters): a stored key never issued to
# anyone, which an unknown id's secret is checked against, and an id nothing is stored under.
_DECOY_ID = "decoy"
_ABSENT_ID = "absent"


class UnknownApiKeyError(LookupError):
    """No key has the given id."""


@dataclass(frozen=True)
class KeyView:
    """What anyone may see of a key: never its secret nor the secret's hash."""

    key_id: str
    kind: Scope
    subject: str | None
    label: str | None
    created: datetime
    revoked: datetime | None
    revocation_reason: str | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyView:
        """Return the view of a stored key."""
        return cls(
            key_id=key.key_id,
            kind=Scope(key.kind),
            subject=key.subject,
            label=key.label,
            created=key.created,
            revoked=key.revoked,
            revocation_reason=key.revocation_reason,
        )

    @property
    def status(self) -> str:
        """Return ``active`` or ``revoked``."""
        return "active" if self.revoked is None else "revoked"

    def as_dict(self) -> dict[str, object]:
        """Return the view as JSON-ready values."""
        return {
            "key_id": self.key_id,
            "kind": self.kind.value,
            "subject": self.subject,
            "label": self.label,
            "status": self.status,
            "created": self.created.isoformat(),
            "revoked": self.revoked.isoformat() if self.revoked else None,
            "revocation_reason": self.revocation_reason,
        }


def _new_key_id() -> str:
    return base64.b32encode(secrets.token_bytes(5)).decode("ascii").lower()


def _new_decoy(now: datetime) -> ApiKey:
    # Its secret is thrown away at once: nothing can ever match its hash.
    return ApiKey(
        key_id=_DECOY_ID,
        kind=Scope.ORGANIZER.value,
        subject="nobody@decoy.invalid",
        label="decoy: never issued, never listed",
        secret_hash=hash_secret(secrets.token_urlsafe(_SECRET_BYTES)),
        timestamp=now,
    )


def _is_key_id(text: str) -> bool:
    return len(text) == _KEY_ID_LENGTH and set(text) <= _KEY_ID_CHARACTERS


def _parse(token: str) -> tuple[str, str] | None:
    """Return the key id and secret of a well-formed token, or None."""
    if not token.startswith(PREFIX):
        return None
    key_id, separator, secret = token[len(PREFIX) :].partition("_")
    # Checked before anything is loaded or hashed: no text from a request reaches either.
    if not separator or not _is_key_id(key_id):
        return None
    if len(secret) != _SECRET_LENGTH or not set(secret) <= _SECRET_CHARACTERS:
        return None
    return key_id, secret


class ApiKeys:
    """Use cases of API keys, on the invite service's event store."""

    def __init__(self, load: Loader, save: Callable[..., object]) -> None:
        self.load = load
        self.save = save

    def create(
        self, kind: Scope, subject: str | None, label: str | None, now: datetime
    ) -> tuple[ApiKey, str]:
        """Issue a key; return it with its token, which is never available again."""
        normalized = scope_subject(kind, subject)
        key_id = _new_key_id()
        while self.load(ApiKey, api_key_id(key_id)) is not None:  # 40 bits: rare, never silent
            key_id = _new_key_id()
        secret = secrets.token_urlsafe(_SECRET_BYTES)
        key = ApiKey(
            key_id=key_id,
            kind=kind.value,
            subject=normalized,
            label=(label.strip() or None) if label else None,
            secret_hash=hash_secret(secret),
            timestamp=now,
        )
        ring = self.load(KeyRing, key_ring_id()) or KeyRing(timestamp=now)
        ring.add(key_id=key_id, timestamp=now)
        decoy = [] if self.load(ApiKey, api_key_id(_DECOY_ID)) else [_new_decoy(now)]
        # One save, one transaction: a key is never stored without its place in the ring.
        self.save(key, ring, *decoy)
        return key, f"{PREFIX}{key_id}_{secret}"

    def list(self) -> list[KeyView]:
        """Return every issued key, oldest first, revoked ones included."""
        ring = self.load(KeyRing, key_ring_id())
        if ring is None:
            return []
        keys = (self.load(ApiKey, api_key_id(key_id)) for key_id in ring.key_ids)
        return [KeyView.of(key) for key in keys if key is not None]

    def revoke(self, key_id: str, reason: str | None, now: datetime) -> KeyView:
        """Revoke a key by its id (or its whole token); revoking twice changes nothing."""
        key = self._find(key_id)
        key.revoke(reason=reason, timestamp=now)
        self.save(key)
        return KeyView.of(key)

    def authenticate(self, token: str, now: datetime) -> Principal | None:
        """Return who ``token`` speaks for, or None unless it is an issued, unrevoked key's."""
        parsed = _parse(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        # ``now`` is the request's instant, for the expiry rule the HTTP API brings; revocation
        # does not depend on it (see ApiKey.accepts).
        key = self.load(ApiKey, api_key_id(key_id))
        # The same work whether the id exists or not, so timing does not tell: one stored key
        # loaded (the decoy when the id is unknown), one lookup that finds nothing, one hash
        # compared in constant time, along one code path.
        spare = self.load(ApiKey, api_key_id(_DECOY_ID if key is None else _ABSENT_ID))
        candidate = key or spare or self._store_decoy(now)
        accepted = candidate.accepts(secret)
        return key.principal() if key is not None and accepted else None

    def _store_decoy(self, now: datetime) -> ApiKey:
        """Store the decoy key in a store from before decoys; return it."""
        decoy = _new_decoy(now)
        with contextlib.suppress(RecordConflictError):  # another process stored one first
            self.save(decoy)
        return decoy

    def _find(self, reference: str) -> ApiKey:
        key_id = reference.strip().lower().removeprefix(PREFIX).partition("_")[0]
        key = self.load(ApiKey, api_key_id(key_id)) if _is_key_id(key_id) else None
        if key is None:
            raise UnknownApiKeyError(f"no API key has the id {reference!r}")
        return key
