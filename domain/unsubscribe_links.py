"""Signed unsubscribe tokens (RFC 8058): one per (recipient, organizer), for the
``List-Unsubscribe`` URL and the ``unsubscribe+TOKEN@`` address alike.

The token is the recipient's reply token (domain.reply_tokens: it names their copy of an
invite, whose record holds the address and the invite) followed by a MAC of that locator,
the recipient's address and the organizer's, under a key of its own derived from the server
secret. So it cannot be forged, altered, or made to unsubscribe another address or from
another organizer. Lower-case base32: a mail local part may be folded to lower case, and
``unsubscribe+`` and 47 characters fit the 64 octets of a local part.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from domain.identity import normalize_address
from domain.web_links import InvalidLinkError

_LABEL = b"calendar-invite-server unsubscribe link v1"
_LOCATOR_BYTES = 13  # a reply token's bytes
_MAC_BYTES = 16  # 128 bits: out of reach of guessing at any request rate
_TOKEN_LENGTH = 47  # 29 bytes in base32, unpadded
_ALTERED = "this unsubscribe link is not valid: it was altered, cut short or not issued here"
_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")


def unsubscribe_token(secret: bytes, reply_token: str, recipient: str, organizer: str) -> str:
    """Return the unsubscribe token of ``recipient``'s copy (its ``reply_token``) from
    ``organizer``."""
    locator = _decode(reply_token, _LOCATOR_BYTES)
    raw = locator + _mac(secret, locator, recipient, organizer)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def locator_of(token: str) -> str:
    """Return the reply token a well-formed unsubscribe token names (unverified: check the
    MAC with :func:`unsubscribe_matches` once the copy it names is loaded)."""
    raw = _decode(token, _LOCATOR_BYTES + _MAC_BYTES)
    return base64.b32encode(raw[:_LOCATOR_BYTES]).decode("ascii").rstrip("=").lower()


def unsubscribe_matches(secret: bytes, token: str, recipient: str, organizer: str) -> bool:
    """Return whether ``token`` was issued to ``recipient`` for ``organizer`` (constant-time)."""
    try:
        raw = _decode(token, _LOCATOR_BYTES + _MAC_BYTES)
    except InvalidLinkError:
        return False
    locator, mac = raw[:_LOCATOR_BYTES], raw[_LOCATOR_BYTES:]
    return hmac.compare_digest(mac, _mac(secret, locator, recipient, organizer))


def _mac(secret: bytes, locator: bytes, recipient: str, organizer: str) -> bytes:
    key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
    message = b"\n".join(
        (locator, normalize_address(recipient).encode(), normalize_address(organizer).encode())
    )
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _decode(token: str, size: int) -> bytes:
    text = token.strip().lower()
    # Only the canonical spelling counts: the decoder would accept padding and other forms.
    if not text or not set(text) <= _ALPHABET or len(text) > _TOKEN_LENGTH:
        raise InvalidLinkError(_ALTERED)
    try:
        raw = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as error:
        raise InvalidLinkError(_ALTERED) from error
    if len(raw) != size or base64.b32encode(raw).decode("ascii").rstrip("=").lower() != text:
        raise InvalidLinkError(_ALTERED)
    return raw
