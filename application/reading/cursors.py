"""Cursors a caller cannot read: for those who see an invite's attendees masked.

An attendee page's cursor is the last row's sort key, which is the attendee's address. Handed to
someone who may see only masked addresses, a readable cursor would give one address away per
page, so theirs is sealed: encrypted and authenticated (AES-GCM) under a key derived from the
server secret. A cursor sealed once cannot be altered, and reads as nothing but a position.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from application.projections.queries import InvalidCursorError, decode_cursor, encode_cursor

_LABEL = b"calendar-invite-server sealed cursors v1"


class SealedCursors:
    """Seal a view's cursor and open a sealed one again."""

    def __init__(self, secret: bytes) -> None:
        key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
        environment = Environment()
        environment[AESCipher.CIPHER_KEY] = base64.b64encode(key).decode("ascii")
        self._cipher = AESCipher(environment)

    def seal(self, cursor: str | None) -> str | None:
        """Return ``cursor`` sealed (None stays None: no further page)."""
        if cursor is None:
            return None
        sealed = self._cipher.encrypt(str(decode_cursor(cursor)).encode())
        return base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def open(self, sealed: str | None) -> str | None:
        """Return the view's cursor a sealed one holds; raise InvalidCursorError if it is
        not one this server sealed."""
        if sealed is None:
            return None
        try:
            data = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            return encode_cursor(self._cipher.decrypt(data).decode())
        except (binascii.Error, UnicodeDecodeError, ValueError) as error:
            raise InvalidCursorError("the cursor is not one this server handed out") from error
