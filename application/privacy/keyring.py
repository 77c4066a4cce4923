"""Sealing and opening personal values with their person's key, with the keys cached briefly.

A cached key outlives its erasure in other processes for at most :data:`CACHE_SECONDS`: what
they seal meanwhile is sealed with a key that no longer exists anywhere, so it is as erased as
the rest; what they read meanwhile was readable anyway a moment before.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from application.privacy.keys import KEY_BYTES, PersonalKeys, key_id, placeholder

CACHE_SECONDS = 60.0
# People whose ciphers (and streams whose owners) are kept, each: about 1 KiB a person, so a
# bulk send's memory stops growing at this many recipients (50,000 made a send to a million
# peak 45 MiB higher than one to 10,000). A rebuild reads each person's events close together
# in the log, so it misses no more often at this size (bench.projections).
CACHE_SIZE = 8_192


@dataclass(frozen=True)
class Sealed:
    """A personal value as stored: the person's key id and the value encrypted under their
    key (``box`` None: the person was erased before the value was written)."""

    kid: str
    box: str | None


class _Lru:
    """A small thread-safe LRU with expiry (processes here are threaded servers)."""

    def __init__(self, size: int, ttl: float, clock: Callable[[], float]) -> None:
        self.size, self.ttl, self.clock = size, ttl, clock
        self.items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            found = self.items.get(key)
            if found is None or found[0] < self.clock():
                return None
            self.items.move_to_end(key)
            return found[1]

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.items[key] = (self.clock() + self.ttl, value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


class _Pending(threading.local):
    """What this thread's coming save introduces: new keys, new streams' owners."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[bytes, AESCipher]] = {}
        self.owners: dict[UUID, str] = {}


# Cached for a person whose key is gone (erased): nothing to seal or open with.
_GONE = "gone"


class Keyring:
    """Seals personal values under per-person keys kept in :class:`PersonalKeys`.

    A key a save needs that does not exist yet is made in memory and kept (with the owners
    of the save's new streams) by :meth:`flush`, in one write before the save's events: the
    event store calls it (``SealingEventStore``). Until then the new key is this thread's
    alone, so nothing is ever sealed with a key that may never be kept.
    """

    def __init__(
        self,
        keys: PersonalKeys,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keys = keys
        self._salt: bytes | None = None
        self._ciphers = _Lru(CACHE_SIZE, cache_seconds, clock)
        # Streams whose owner is known never change owner: no expiry needed.
        self._owners = _Lru(CACHE_SIZE, float("inf"), clock)
        self._pending = _Pending()

    def kid(self, address: str) -> str:
        """Return the key id of the person at ``address``."""
        if self._salt is None:
            self._salt = self.keys.salt()
        return key_id(self._salt, address)

    def seal(self, kid: str, value: Any) -> Sealed:
        """Seal a JSON value for the person ``kid`` (making their key if they have none)."""
        cipher = self._cipher(kid, create=True)
        if cipher is None:
            return Sealed(kid, None)
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return Sealed(kid, base64.b64encode(cipher.encrypt(data)).decode("ascii"))

    def open(self, sealed: Sealed, erased: Any) -> Any:
        """Return the sealed value, or ``erased`` (called with the person's placeholder when
        it is callable) once the person's key is gone."""
        cipher = None if sealed.box is None else self._cipher(sealed.kid, create=False)
        if cipher is None or sealed.box is None:
            return erased(placeholder(sealed.kid)) if callable(erased) else erased
        try:
            data = cipher.decrypt(base64.b64decode(sealed.box))
        except (ValueError, binascii.Error) as error:
            msg = f"a value sealed for person {sealed.kid} fails authentication: {error}"
            raise ValueError(msg) from error
        return json.loads(data)

    def own(self, stream: UUID, kid: str) -> None:
        """Note that ``stream`` is about ``kid``: kept by the next :meth:`flush`."""
        if self._owners.get(stream) != kid:
            self._pending.owners[stream] = kid

    def owner(self, stream: UUID) -> str | None:
        """Return the person ``stream`` is about, if noted."""
        kid: str | None = self._pending.owners.get(stream) or self._owners.get(stream)
        if kid is None:
            kid = self.keys.owner(stream)
            if kid is not None:
                self._owners.put(stream, kid)
        return kid

    def flush(self) -> bool:
        """Keep this thread's new keys and owners in one write; return whether every new
        key is the one kept (False: another process made one of these people's key first,
        or erased them, and what was sealed with ours must be sealed again)."""
        pending = self._pending
        if not pending.keys and not pending.owners:
            return True
        made = {kid: key for kid, (key, _) in pending.keys.items()}
        kept = self.keys.keep(made, pending.owners)
        ours = True
        for kid, (key, cipher) in pending.keys.items():
            found = kept.get(kid)
            if found == key:
                self._ciphers.put(kid, cipher)
            else:
                ours = False
                self._ciphers.put(kid, _GONE if found is None else _cipher_of(found))
        for stream, kid in pending.owners.items():
            self._owners.put(stream, kid)
        pending.keys.clear()
        pending.owners.clear()
        return ours

    def discard(self) -> None:
        """Forget this thread's new keys and owners (a save that will not happen)."""
        self._pending.keys.clear()
        self._pending.owners.clear()

    def is_erased(self, address: str) -> bool:
        """Return whether the person at ``address`` was erased (never to be mailed again)."""
        kid = self.kid(address)
        cached = self._ciphers.get(kid)
        if cached is not None:
            # A key in hand (for at most CACHE_SECONDS) is a person not erased.
            return cached is _GONE
        return self.keys.erased(kid) is not None

    def erase(self, kid: str, at: datetime) -> bool:
        """Delete ``kid``'s key; False if it was erased before."""
        done = self.keys.erase(kid, at)
        self._ciphers.clear()
        self.keys.forget_traces()
        return done

    def _cipher(self, kid: str, *, create: bool) -> AESCipher | None:
        pending = self._pending.keys.get(kid)
        if pending is not None:
            return pending[1]
        cached = self._ciphers.get(kid)
        if cached is _GONE:
            return None
        if cached is not None:
            return cast(AESCipher, cached)
        key = self.keys.get(kid)
        if key is not None:
            cipher = _cipher_of(key)
            self._ciphers.put(kid, cipher)
            return cipher
        if not create:
            return None
        # Unknown or erased: a new key, this thread's until the save's flush keeps it (an
        # erased person's tombstone refuses it, and the save seals again, with nothing).
        key = secrets.token_bytes(KEY_BYTES)
        cipher = _cipher_of(key)
        self._pending.keys[kid] = (key, cipher)
        return cipher


def _cipher_of(key: bytes) -> AESCipher:
    environment = Environment()
    environment[AESCipher.CIPHER_KEY] = base64.b64encode(key).decode("ascii")
    return AESCipher(environment)
