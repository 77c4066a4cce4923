"""Signed web links: an expiring RSVP link per recipient, a download signature per invite.

Each kind of link is signed under its own key, derived from the server secret with a label,
so a link never equals a reply-address token and a link of one kind never passes for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

_RSVP_LABEL = b"calendar-invite-server web rsvp link v1"
_CALENDAR_LABEL = b"calendar-invite-server calendar download v1"
# Truncated HMAC-SHA256: 128 bits, out of reach of guessing at any request rate.
_MAC_BYTES = 16
# invite, the recipient's reply token (13 bytes), sequence, expiry in Unix seconds.
_CLAIM = struct.Struct(">16s13sIQ")
_REPLY_TOKEN_BYTES = 13
# 57 bytes encode to 76 base64 characters with no padding and no unused bits: one spelling.
_TOKEN_LENGTH = (_CLAIM.size + _MAC_BYTES) * 4 // 3
_ALTERED = "this link is not valid: it was altered, cut short or not issued by this server"


class InvalidLinkError(ValueError):
    """A link cannot be honoured; the message says why (expired, altered, not a recipient…)."""


@dataclass(frozen=True)
class LinkClaim:
    """What an RSVP link vouches for: whose answer, to which version, until when.

    The recipient is named by their reply token (domain.reply_tokens), not their address, so
    a link that ends up in a log or a Referer header does not show whom it belongs to.
    """

    invite: UUID
    recipient: str
    sequence: int
    expires: datetime


def sign_link(secret: bytes, claim: LinkClaim) -> str:
    """Return the URL-safe token of ``claim``: base64url(claim ‖ MAC), without padding."""
    try:
        body = _CLAIM.pack(
            claim.invite.bytes,
            _token_bytes(claim.recipient),
            claim.sequence,
            int(_utc(claim.expires).timestamp()),
        )
    except struct.error as error:
        raise ValueError(f"cannot sign this link: {error}") from error
    return _encode(body + _mac(_key(secret, _RSVP_LABEL), body))


def read_link(secret: bytes, token: str, now: datetime) -> LinkClaim:
    """Return what ``token`` vouches for; raise InvalidLinkError if forged, altered or expired."""
    raw = _decode(token)
    body, mac = raw[: _CLAIM.size], raw[_CLAIM.size :]
    if not hmac.compare_digest(mac, _mac(_key(secret, _RSVP_LABEL), body)):
        raise InvalidLinkError(_ALTERED)
    invite, recipient, sequence, expiry = _CLAIM.unpack(body)
    expires = datetime.fromtimestamp(expiry, UTC)
    if _utc(now) >= expires:
        raise InvalidLinkError(f"this link expired on {expires:%Y-%m-%d %H:%M} UTC")
    recipient_token = base64.b32encode(recipient).decode("ascii").rstrip("=").lower()
    return LinkClaim(UUID(bytes=invite), recipient_token, sequence, expires)


def calendar_signature(secret: bytes, invite: UUID) -> str:
    """Return the signature that makes a public download link for ``invite``'s calendar file."""
    return _encode(_mac(_key(secret, _CALENDAR_LABEL), invite.bytes))


def calendar_signature_matches(secret: bytes, invite: UUID, signature: str) -> bool:
    """Return whether ``signature`` is ``invite``'s download signature (constant-time)."""
    if not signature.isascii():
        return False
    expected = calendar_signature(secret, invite).encode("ascii")
    return hmac.compare_digest(signature.encode("ascii"), expected)


def _key(secret: bytes, label: bytes) -> bytes:
    return hmac.new(secret, label, hashlib.sha256).digest()


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def _token_bytes(token: str) -> bytes:
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        raw = base64.b32decode(padded)
    except binascii.Error as error:
        raise ValueError(f"not a reply token: {token!r}") from error
    if len(raw) != _REPLY_TOKEN_BYTES:
        raise ValueError(f"not a reply token: {token!r}")
    return raw


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str) -> bytes:
    if len(token) != _TOKEN_LENGTH or not token.isascii():
        raise InvalidLinkError(_ALTERED)
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError) as error:
        raise InvalidLinkError(_ALTERED) from error
    # The decoder skips characters outside the alphabet: only the canonical spelling counts.
    if _encode(raw) != token:
        raise InvalidLinkError(_ALTERED)
    return raw


def _utc(moment: datetime) -> datetime:
    # Naive times are UTC, as everywhere in this server (see adapters' stamp_of).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
