"""Standard Webhooks signatures, and the endpoints' secrets sealed at rest.

A secret is ``whsec_`` and the base64 of 32 random bytes; the signature of a message is
``v1,`` and the base64 of HMAC-SHA256(secret bytes, ``{id}.{timestamp}.{body}``), one per
secret valid at the time, separated by spaces (two during a rotation). Secrets are stored
sealed (AES-GCM under a key derived from the server secret, with a label of its own), so the
event store never holds one in clear and no read shows one after it was first handed out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

PREFIX = "whsec_"
_SECRET_BYTES = 32
_LABEL = b"calendar-invite-server webhook secrets v1"


def new_secret() -> str:
    """Return a fresh endpoint secret."""
    return PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """Return the key bytes of ``whsec_...``."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``v1,...`` signature of one message under one secret."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(keys: list[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``webhook-signature`` header: a signature per valid secret."""
    return " ".join(signature(key, webhook_id, timestamp, body) for key in keys)


class SecretBox:
    """Seals endpoint secrets for the event store and opens them to sign."""

    def __init__(self, server_secret: bytes) -> None:
        key = hmac.new(server_secret, _LABEL, hashlib.sha256).digest()
        environment = Environment()
        environment[AESCipher.CIPHER_KEY] = base64.b64encode(key).decode("ascii")
        self._cipher = AESCipher(environment)

    def seal(self, secret: str) -> str:
        """Return ``secret`` encrypted and authenticated, as text."""
        return base64.b64encode(self._cipher.encrypt(secret.encode("ascii"))).decode("ascii")

    def open(self, sealed: str) -> str:
        """Return the secret a sealed text holds (ValueError if this server did not seal it)."""
        return self._cipher.decrypt(base64.b64decode(sealed)).decode("ascii")
