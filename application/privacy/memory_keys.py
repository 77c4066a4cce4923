"""Per-person keys in memory: for the in-memory backend and tests (nothing outlives the process)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from application.privacy.keys import PersonalKeys


class MemoryPersonalKeys(PersonalKeys):
    """Keys, tombstones and streams in dicts."""

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(32)
        self.keys: dict[str, bytes] = {}
        self.tombstones: dict[str, datetime] = {}
        self.owners: dict[UUID, str] = {}
        self.lock = threading.Lock()

    def salt(self) -> bytes:
        return self._salt

    def get(self, kid: str) -> bytes | None:
        return self.keys.get(kid)

    def keep(
        self, keys: Mapping[str, bytes], owners: Mapping[UUID, str]
    ) -> dict[str, bytes | None]:
        with self.lock:
            for stream, kid in owners.items():
                self.owners.setdefault(stream, kid)
            return {
                kid: None if kid in self.tombstones else self.keys.setdefault(kid, key)
                for kid, key in keys.items()
            }

    def erased(self, kid: str) -> datetime | None:
        return self.tombstones.get(kid)

    def erase(self, kid: str, at: datetime) -> bool:
        with self.lock:
            if kid in self.tombstones:
                return False
            self.keys.pop(kid, None)
            self.tombstones[kid] = at
            return True

    def owner(self, stream: UUID) -> str | None:
        return self.owners.get(stream)

    def streams(self, kid: str) -> Sequence[UUID]:
        return [stream for stream, owner in self.owners.items() if owner == kid]
