"""A blob store in memory: for tests and throwaway runs."""

from __future__ import annotations

from adapters.storage.blob_files import content_key
from application.kept_mail import CorruptMessageError, Envelope
from application.ports import BlobStore


class MemoryBlobStore(BlobStore):
    """Keeps raw messages in a dict, and uploads in another: for tests and throwaway runs."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.envelopes: dict[str, Envelope] = {}
        self.uploads: dict[str, bytes] = {}
        self.quarantined: dict[str, bytes] = {}

    def put_upload(self, data: bytes) -> str:
        """Store an upload and return its key."""
        key = content_key(data)
        self.uploads.setdefault(key, data)
        return key

    def get_upload(self, key: str) -> bytes:
        """Return the stored upload; raise KeyError when the key is unknown."""
        return self.uploads[key]

    def put(self, data: bytes, envelope: Envelope | None = None) -> str:
        """Store ``data`` and, with its first copy, ``envelope``; return its key."""
        key = content_key(data)
        if key not in self.blobs and envelope is not None:
            self.envelopes[key] = envelope
        self.blobs.setdefault(key, data)
        return key

    def get(self, key: str) -> bytes:
        """Return the stored bytes, verified; KeyError when unknown, CorruptMessageError
        (after moving them to ``quarantined``) when they do not match ``key``."""
        data = self.blobs[key]
        if content_key(data) != key:
            self.quarantined[key] = self.blobs.pop(key)
            raise CorruptMessageError(key, "memory", "its bytes do not match its name", "memory")
        return data

    def envelope(self, key: str) -> Envelope | None:
        """Return the envelope kept with the message, if any."""
        return self.envelopes.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self.blobs

    def arrivals(self) -> list[str]:
        """Return every stored key, oldest first."""
        return list(self.blobs)
