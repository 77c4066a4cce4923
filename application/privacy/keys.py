"""Per-person data keys: what makes a person's data erasable without rewriting the event log.

Every personal field of an event or snapshot (an address, a name, a comment, a bounce
message) is sealed with a key of the person it is about; erasing the person deletes that key
("crypto-shredding"), after which the sealed fields read as :func:`placeholder` addresses and
empty values, while everything else (statuses, times, counts) still replays. A person is
found by a key id: an HMAC of their canonical address under a salt kept beside the keys, so
the id holds nothing readable, and an erased person's id (kept as a tombstone) is how the
server knows never to mail them again (the issue's "suppressed by a salted hash").

Keys live beside the event store (the same SQLite file, the same DynamoDB table), so a key is
durable no later than the first event sealed with it.
"""

from __future__ import annotations

import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from domain.identity import normalize_address

# What an erased person's address reads as: distinct per person (so counts stay per person)
# and a syntactically valid address in a domain that can never receive mail (RFC 6761).
ERASED_DOMAIN = "erased.invalid"
KEY_BYTES = 32


class PersonalKeys(ABC):
    """Where per-person keys, their tombstones and the streams sealed with them are kept."""

    @abstractmethod
    def salt(self) -> bytes:
        """Return the salt of key ids, made (once, race-free) on first use."""

    @abstractmethod
    def get(self, kid: str) -> bytes | None:
        """Return the key of ``kid``; None if it has none (never made, or erased)."""

    @abstractmethod
    def keep(
        self, keys: Mapping[str, bytes], owners: Mapping[UUID, str]
    ) -> dict[str, bytes | None]:
        """Keep each new key unless its person has one (or was erased), and note each
        stream's owner, in as few writes as the store allows (one, usually); return the key
        kept for each person of ``keys`` (None: erased)."""

    def create(self, kid: str, key: bytes) -> bytes | None:
        """Keep ``key`` for ``kid`` unless they have one (return that one) or were erased."""
        return self.keep({kid: key}, {})[kid]

    def own(self, stream: UUID, kid: str, key: bytes) -> bytes | None:
        """Note ``stream`` as about ``kid``, keeping ``key`` if they have none; return theirs."""
        return self.keep({kid: key}, {stream: kid})[kid]

    @abstractmethod
    def erased(self, kid: str) -> datetime | None:
        """Return when ``kid`` was erased, or None."""

    @abstractmethod
    def erase(self, kid: str, at: datetime) -> bool:
        """Delete ``kid``'s key for good and keep a tombstone; False if it was erased before."""

    @abstractmethod
    def owner(self, stream: UUID) -> str | None:
        """Return the person ``stream`` is about, if it was noted."""

    @abstractmethod
    def streams(self, kid: str) -> Sequence[UUID]:
        """Return every stream noted as about ``kid``."""

    def forget_traces(self) -> None:
        """Make deleted keys unrecoverable from the storage itself (SQLite: checkpoint)."""
        return


def key_id(salt: bytes, address: str) -> str:
    """Return the key id of a person: nothing in it reveals the address."""
    canonical = normalize_address(address).encode("utf-8")
    return hmac.new(salt, b"person\n" + canonical, hashlib.sha256).hexdigest()[:32]


def placeholder(kid: str) -> str:
    """Return what an erased person's address reads as."""
    return f"erased-{kid[:20]}@{ERASED_DOMAIN}"


def is_placeholder(address: str | None) -> bool:
    """Return whether ``address`` is an erased person's placeholder."""
    return bool(address) and str(address).lower().endswith("@" + ERASED_DOMAIN)
