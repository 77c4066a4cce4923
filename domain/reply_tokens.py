"""Per-recipient reply addresses: ``rsvp+TOKEN@domain`` where TOKEN is an HMAC.

The token binds one invite to one recipient under a server secret, so a REPLY is attributed
by the address it was sent to and cannot be forged for another attendee or another invite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

from domain.identity import normalize_address

# 100 bits: unguessable, and short enough for a mail local part (RFC 5321: 64 octets).
_TOKEN_BYTES = 13


def reply_token(secret: bytes, invite: UUID, recipient: str) -> str:
    """Return the token of ``recipient``'s reply address for ``invite``.

    Lower-case base32 without padding, because mail systems may lower-case local parts.
    """
    message = f"{invite.hex}\n{normalize_address(recipient)}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:_TOKEN_BYTES]
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def reply_address(token: str, mailbox: str, domain: str) -> str:
    """Return the address replies to this token go to, e.g. ``rsvp+abc…@invites.example``."""
    return f"{mailbox}+{token}@{domain}"


def token_of(address: str) -> str | None:
    """Return the ``+TOKEN`` part of a reply address, or None if it has none."""
    local = normalize_address(address).split("@", 1)[0]
    _, plus, token = local.partition("+")
    return token if plus and token.isalnum() else None


def token_matches(secret: bytes, token: str, invite: UUID, recipient: str) -> bool:
    """Return whether ``token`` is the one issued to ``recipient`` for ``invite``."""
    return hmac.compare_digest(token.lower(), reply_token(secret, invite, recipient))
