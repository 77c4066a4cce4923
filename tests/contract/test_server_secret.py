"""The reply-token secret is made once, kept private, and never changes under the server."""

from __future__ import annotations

import base64
import secrets
import stat
from pathlib import Path

from adapters.storage.secrets import server_secret


def test_made_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    first = server_secret(path)
    assert len(first) == 32
    assert server_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_configured_secret_wins(tmp_path: Path) -> None:
    chosen = secrets.token_bytes(32)
    configured = base64.b64encode(chosen).decode()
    assert server_secret(tmp_path / "secret.key", configured) == chosen
    assert not (tmp_path / "secret.key").exists()
