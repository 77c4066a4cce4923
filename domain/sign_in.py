"""Signing in to the web app by a link mailed to one's own address, and the sessions it opens.

A sign-in link is a capability for one address, for a few minutes, once: an HMAC-signed claim
(address, nonce, expiry) under a key of its own, whose nonce is spent the first time it is
used (:class:`SignInUse`, keyed by the nonce, so a second use conflicts). A session is known
by a random secret only its browser holds (in a cookie); the store keeps a digest of it, so
the event log never holds what would let anyone act as the session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import NAMESPACE
from domain.web_links import InvalidLinkError

# Long enough to open one's mail, short enough that a forwarded link is soon worthless.
SIGN_IN_TTL = timedelta(minutes=15)
# How long a browser stays signed in without signing in again.
SESSION_TTL = timedelta(days=14)
_LABEL = b"calendar-invite-server sign-in link v1"
_HEAD = struct.Struct(">16sQ")  # nonce, expiry (seconds since the epoch)
_MAC_BYTES = 16
_MOST_ADDRESS_BYTES = 254
_ALTERED = "this sign-in link is not valid: it was altered, cut short or not issued here"


@dataclass(frozen=True)
class SignInClaim:
    """What a sign-in link vouches for: this address, until then, once (by its nonce)."""

    address: str
    nonce: bytes
    expires: datetime


def sign_in_token(secret: bytes, claim: SignInClaim) -> str:
    """Return the URL-safe token of ``claim``: base64url(nonce ‖ expiry ‖ address ‖ MAC)."""
    address = claim.address.encode("utf-8")
    if len(claim.nonce) != 16 or not 0 < len(address) <= _MOST_ADDRESS_BYTES:
        raise ValueError("a sign-in claim needs a 16-byte nonce and an address")
    body = _HEAD.pack(claim.nonce, int(_utc(claim.expires).timestamp())) + address
    return _encode(body + _mac(secret, body))


def read_sign_in(secret: bytes, token: str, now: datetime) -> SignInClaim:
    """Return what ``token`` vouches for; raise InvalidLinkError if forged, altered or expired."""
    if len(token) > 512 or not token.isascii():
        raise InvalidLinkError(_ALTERED)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidLinkError(_ALTERED) from error
    if _encode(raw) != token or len(raw) <= _HEAD.size + _MAC_BYTES:
        raise InvalidLinkError(_ALTERED)
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise InvalidLinkError(_ALTERED)
    nonce, expiry = _HEAD.unpack(body[: _HEAD.size])
    expires = datetime.fromtimestamp(expiry, UTC)
    if _utc(now) >= expires:
        raise InvalidLinkError("this sign-in link has expired: ask for a new one")
    return SignInClaim(body[_HEAD.size :].decode("utf-8"), nonce, expires)


def sign_in_use_id(nonce: str) -> UUID:
    """Return the id of the record that spends the sign-in link with ``nonce`` (hex)."""
    return uuid5(NAMESPACE, "sign-in\n" + nonce)


class SignInUse(Aggregate):
    """The one use of a sign-in link: a second use of the same link conflicts with it."""

    @staticmethod
    def create_id(nonce: str, **_: Any) -> UUID:
        """Return the id derived from the link's nonce (hex)."""
        return sign_in_use_id(nonce)

    @event("Used")
    def __init__(self, nonce: str, address: str, timestamp: datetime) -> None:
        self.nonce = nonce
        self.address = address


def session_digest(secret: str) -> str:
    """Return what the store keeps of a session's secret (never the secret itself)."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def web_session_id(digest: str) -> UUID:
    """Return the id of the session whose secret has ``digest`` (:func:`session_digest`)."""
    return uuid5(NAMESPACE, "web-session\n" + digest)


class WebSession(Aggregate):
    """One browser signed in as one address, until it expires or signs out."""

    @staticmethod
    def create_id(digest: str, **_: Any) -> UUID:
        """Return the id derived from the digest of the session's secret."""
        return web_session_id(digest)

    @event("Opened")
    def __init__(self, digest: str, address: str, expires: datetime, timestamp: datetime) -> None:
        self.digest = digest
        self.address = address
        self.expires = expires
        self.closed = False

    @event("Closed")
    def close(self, timestamp: datetime) -> None:
        """Sign out: the session stops working at once."""
        self.closed = True

    def active(self, now: datetime) -> bool:
        """Return whether the session still signs its browser in."""
        return not self.closed and _utc(now) < _utc(self.expires)


def _mac(secret: bytes, body: bytes) -> bytes:
    key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
    return hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
