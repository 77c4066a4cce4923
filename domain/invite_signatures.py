"""Per-invite signatures, one capability each: downloading the calendar file, or sending it.

Each is an HMAC of the invite id under its own key, derived from the server secret with its
own label, so the download signature anyone may be shown never works as a landing signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from enum import Enum
from uuid import UUID

# Truncated HMAC-SHA256: 128 bits, out of reach of guessing at any request rate.
_MAC_BYTES = 16


class Capability(Enum):
    """What a per-invite signature lets its holder do, by the label its key is derived with."""

    # Download the invite's "add to calendar" file: shown to every reader of the invite.
    DOWNLOAD = b"calendar-invite-server calendar download v1"
    # Have the invite sent to an address (landing pages): issued only to those who may send.
    LANDING = b"calendar-invite-server landing send v1"


def invite_signature(secret: bytes, capability: Capability, invite: UUID) -> str:
    """Return the signature that grants ``capability`` on ``invite`` (URL-safe, no padding)."""
    key = hmac.new(secret, capability.value, hashlib.sha256).digest()
    mac = hmac.new(key, invite.bytes, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def invite_signature_matches(
    secret: bytes, capability: Capability, invite: UUID, signature: str
) -> bool:
    """Return whether ``signature`` grants ``capability`` on ``invite`` (constant-time)."""
    if not signature.isascii():
        return False
    expected = invite_signature(secret, capability, invite).encode("ascii")
    return hmac.compare_digest(signature.encode("ascii"), expected)
