"""Ports: what the application needs from the outside world, as abstract classes."""

from __future__ import annotations

from abc import ABC, abstractmethod

from domain.messages import ParsedMessage


class BlobStore(ABC):
    """Keeps raw messages, keyed by content hash, so any message can be read back and replayed."""

    @abstractmethod
    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotently) and return its key, the SHA-256 hex digest."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """Return the bytes stored under ``key``; raise KeyError if there are none."""

    @abstractmethod
    def __contains__(self, key: str) -> bool:
        """Return whether ``key`` is stored."""

    @abstractmethod
    def arrivals(self) -> list[str]:
        """Return every stored key, oldest arrival first (for re-ingesting everything)."""


class MessageParser(ABC):
    """Turns raw RFC 5322 bytes (or a bare .ics file) into one parsed iTIP message."""

    @abstractmethod
    def parse(self, raw: bytes, *, sender: str | None = None) -> ParsedMessage:
        """Parse ``raw``; ``sender`` is the envelope sender, used when the message has no From.

        Never raises for bad input: anything unusable comes back as ``Unusable`` with a reason.
        """
