"""The server's HMAC secret: from the environment, or made once and kept in the data folder."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path

_BYTES = 32


def server_secret(path: Path, configured: str | None = None) -> bytes:
    """Return the secret that signs reply tokens.

    ``configured`` (base64, e.g. from ``CIS_SECRET``) wins; otherwise the secret in ``path`` is
    used, created on first use with mode 0600. Changing it invalidates every reply address
    already sent, so it is made once and kept.
    """
    if configured:
        try:
            return base64.b64decode(configured, validate=True)
        except ValueError as error:
            msg = f"the configured secret is not base64 ({error}); make one with: python -c "
            msg += "'import base64,os;print(base64.b64encode(os.urandom(32)).decode())'"
            raise ValueError(msg) from None
    with contextlib.suppress(FileNotFoundError):
        return base64.b64decode(path.read_bytes().strip(), validate=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = base64.b64encode(secrets.token_bytes(_BYTES))
    try:
        # O_EXCL: of two processes starting together, one writes and both read its secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return base64.b64decode(path.read_bytes().strip(), validate=True)
    with os.fdopen(fd, "wb") as handle:
        handle.write(value + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return base64.b64decode(value)
