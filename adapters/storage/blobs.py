"""Raw-message blob stores: a local folder (the embedded default) and memory (tests).

Each also keeps uploads (recipient lists sent to the HTTP API) apart from mail, where
arrivals() never looks: an upload must never be ingested as a received message.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from adapters.files import write_atomically
from application.ports import BlobStore

ARRIVALS = "arrivals.log"


def content_key(data: bytes) -> str:
    """Return the key a message is stored under: its SHA-256 hex digest."""
    return hashlib.sha256(data).hexdigest()


class FolderBlobStore(BlobStore):
    """Keeps each raw message as a file named by its hash, fanned out by the first two digits.

    Uploads go to ``uploads`` (by default the ``uploads`` folder beside ``root``: with the
    data folder's ``messages/``, ``<data>/uploads/``), laid out the same way.
    """

    def __init__(self, root: Path, *, fsync: bool = True, uploads: Path | None = None) -> None:
        self.root = root
        self.uploads = uploads if uploads is not None else root.parent / "uploads"
        self.fsync = fsync
        self._folders: set[str] = set()
        self._log: int | None = None
        self._lock = threading.Lock()

    def _path(self, key: str, upload: bool = False) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            msg = f"not a SHA-256 key: {key!r}"
            raise KeyError(msg)
        # Another suffix as well as another folder: arrivals() lists only ``??/*.eml``.
        if upload:
            return self.uploads / key[:2] / f"{key}.upload"
        return self.root / key[:2] / f"{key}.eml"

    def put(self, data: bytes) -> str:
        """Store ``data`` durably unless it is already there.

        Write to a temporary file, fsync it, rename it into place, fsync the folder: a crash
        leaves either no file or the whole message, and once this returns the message
        survives a power loss (with ``fsync=False``, only a process crash).
        """
        key = content_key(data)
        if self._write(self._path(key), data):
            self._note_arrival(key)
        return key

    def put_upload(self, data: bytes) -> str:
        """Store an upload durably under ``uploads``, unless it is there; never an arrival."""
        key = content_key(data)
        self._write(self._path(key, upload=True), data)
        return key

    def get_upload(self, key: str) -> bytes:
        """Return the stored upload; raise KeyError when the key is unknown."""
        try:
            return self._path(key, upload=True).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def _write(self, target: Path, data: bytes) -> bool:
        """Write ``data`` to ``target`` atomically; return False if it was already there."""
        path = str(target)
        if os.path.exists(path):
            return False
        folder = os.path.dirname(path)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        write_atomically(path, data, fsync=self.fsync)
        return True

    def _note_arrival(self, key: str) -> None:
        with self._lock:
            if self._log is None:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
                self._log = os.open(self.root / ARRIVALS, flags, 0o600)
            # One small O_APPEND write: lines from concurrent processes never interleave.
            os.write(self._log, f"{key}\n".encode("ascii"))

    def close(self) -> None:
        """Release the arrivals log."""
        with self._lock:
            if self._log is not None:
                os.close(self._log)
                self._log = None

    def arrivals(self) -> list[str]:
        """Return every stored key, oldest first.

        The arrivals log gives the order; it is not fsynced, so a message it lost in a crash
        is still listed, after the others, by file time.
        """
        log = self.root / ARRIVALS
        logged = log.read_text(encoding="ascii").split() if log.exists() else []
        order = list(dict.fromkeys(k for k in logged if k in self))
        known = set(order)
        stray = sorted(
            (p.stat().st_mtime_ns, p.stem)
            for p in self.root.glob("??/*.eml")
            if p.stem not in known
        )
        return order + [key for _, key in stray]

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
    """Keeps raw messages in a dict, and uploads in another: for tests and throwaway runs."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.uploads: dict[str, bytes] = {}

    def put_upload(self, data: bytes) -> str:
        """Store an upload and return its key."""
        key = content_key(data)
        self.uploads.setdefault(key, data)
        return key

    def get_upload(self, key: str) -> bytes:
        """Return the stored upload; raise KeyError when the key is unknown."""
        return self.uploads[key]

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

    def arrivals(self) -> list[str]:
        """Return every stored key, oldest first."""
        return list(self.blobs)
