"""Raw-message blob stores: a local folder (the embedded default) and memory (tests)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from application.ports import BlobStore


def content_key(data: bytes) -> str:
    """Return the key a message is stored under: its SHA-256 hex digest."""
    return hashlib.sha256(data).hexdigest()


class FolderBlobStore(BlobStore):
    """Keeps each raw message as a file named by its hash, fanned out by the first two digits."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            msg = f"not a SHA-256 key: {key!r}"
            raise KeyError(msg)
        return self.root / key[:2] / f"{key}.eml"

    def put(self, data: bytes) -> str:
        """Store ``data`` durably (write, fsync, rename) unless it is already there."""
        key = content_key(data)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write-then-rename: a crash leaves either no file or the whole message, never half.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        """Return the stored bytes; raise KeyError when the key is unknown."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def __contains__(self, key: str) -> bool:
        try:
            return self._path(key).exists()
        except KeyError:
            return False


class MemoryBlobStore(BlobStore):
    """Keeps raw messages in a dict: for tests and throwaway runs."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its key."""
        key = content_key(data)
        self.blobs.setdefault(key, data)
        return key

    def get(self, key: str) -> bytes:
        """Return the stored bytes; raise KeyError when the key is unknown."""
        return self.blobs[key]

    def __contains__(self, key: str) -> bool:
        return key in self.blobs
