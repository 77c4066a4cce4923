"""A blob store in memory: for tests and throwaway runs."""

from __future__ import annotations

from dataclasses import replace

from adapters.privacy.redaction import (
    Needles,
    RedactionError,
    identifying,
    mentions,
    redact_csv,
    redact_message,
    redact_text,
)
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
        # The digests erasure gave redacted messages and uploads (see blob_files.REDACTED).
        self.redacted: dict[str, str] = {}

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
        if content_key(data) not in (key, self.redacted.get(key)):
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

    def erase(self, key: str) -> bool:
        """Forget the message, its envelope and any quarantined copy; return whether any was."""
        found = [d.pop(key, None) for d in (self.blobs, self.envelopes, self.quarantined)]
        self.redacted.pop(key, None)
        return any(value is not None for value in found)

    def redact(self, key: str, needles: Needles) -> bool:
        """Replace the needles in the message (same key) and its envelope; return whether
        either mentioned one. One the person cannot be cut out of is erased whole."""
        changed = False
        for kept in (self.blobs, self.quarantined):
            if key not in kept:
                continue
            try:
                new = redact_message(kept[key], needles)
            except RedactionError:
                del kept[key]
                changed = True
                continue
            if new is not None:
                if kept is self.blobs:
                    self.redacted[key] = content_key(new)
                kept[key] = new
                changed = True
        envelope = self.envelopes.get(key)
        if envelope is not None:
            fields = envelope.as_dict()
            new_fields = {name: redact_text(value, needles) for name, value in fields.items()}
            if new_fields != fields:
                self.envelopes[key] = replace(
                    envelope,
                    to=new_fields.get("to"),
                    sender=new_fields.get("sender"),
                    helo=new_fields.get("helo"),
                )
                changed = True
        return changed

    def redact_upload(self, key: str, needles: Needles) -> bool:
        """Drop the upload's rows that mention the person's address; return whether any did."""
        new = redact_csv(self.uploads[key], identifying(needles)) if key in self.uploads else None
        if new is None:
            return False
        self.uploads[key] = new
        return True

    def redact_all(self, needles: Needles) -> int:
        """Redact every message and upload that mentions one of the person's addresses."""
        select = identifying(needles)
        changed = 0
        for key in list({*self.blobs, *self.quarantined}):
            envelope = self.envelopes.get(key)
            about = envelope is not None and mentions(repr(envelope).encode(), select)
            kept = self.blobs.get(key, self.quarantined.get(key, b""))
            if about or mentions(kept, select):
                changed += self.redact(key, needles)
        for key in list(self.uploads):
            if mentions(self.uploads[key], select):
                changed += self.redact_upload(key, needles)
        return changed
