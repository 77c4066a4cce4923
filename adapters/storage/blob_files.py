"""The files of a folder blob store: names, digest checks, quarantine and the write lock.

Shared by the store itself and by whoever checks a data folder (``cis doctor``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

# Beside ``<key>.eml``; not ``*.eml``, so arrivals() and every reader of messages skip it.
ENVELOPE = ".envelope.json"
# Beside a message or upload erasure redacted: the digests its bytes may now have. Events
# name a message by its key, so a redacted message keeps its key though its bytes no
# longer hash to it; this says the store itself changed them (no damage), and holds
# nothing of the person, only digests.
REDACTED = ".redacted.json"
QUARANTINE = "quarantine"
log = logging.getLogger(__name__)


def content_key(data: bytes) -> str:
    """Return the key a message is stored under: its SHA-256 hex digest."""
    return hashlib.sha256(data).hexdigest()


def is_key(name: str) -> bool:
    """Return whether ``name`` is a content key (64 lowercase hex digits)."""
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def sidecar_of(target: Path) -> Path:
    """Return where the envelope of the message at ``target`` is kept."""
    return target.with_name(target.stem + ENVELOPE)


def marker_of(target: Path) -> Path:
    """Return where the redaction marker of the message or upload at ``target`` is kept."""
    return target.with_name(target.stem + REDACTED)


def redacted_digests(target: Path, key: str) -> list[str]:
    """Return the digests the redaction marker beside ``target`` accepts (none without one)."""
    try:
        record = json.loads(marker_of(target).read_bytes())
    except (OSError, ValueError):
        return []
    if not isinstance(record, dict) or record.get("message") != key:
        return []
    digests = record.get("sha256")
    return [d for d in digests if isinstance(d, str)] if isinstance(digests, list) else []


def examine(path: Path, key: str) -> tuple[bytes, None] | tuple[None, str]:
    """Return the bytes at ``path`` if they hash to ``key`` (or to the digest erasure gave
    them, see ``REDACTED``), else what is wrong with them."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyError(key) from None
    except IsADirectoryError:
        return None, "a folder stands where the message should be"
    digest = content_key(data)
    if digest == key or digest in redacted_digests(path, key):
        return data, None
    if not data:
        return None, "it is empty"
    return None, (
        f"its {len(data)} bytes hash to {digest[:12]}…, not to its name: edited or truncated"
    )


def move_aside(path: Path, key: str) -> Path | None:
    """Move a damaged file (and its envelope) to ``quarantine/`` beside its shard folder,
    under a name of its own; return where it went, or None if it could not be moved."""
    quarantine = path.parent.parent / QUARANTINE
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{time.time_ns() % 10**9:09d}"
    moved = quarantine / f"{key}.{stamp}{path.suffix}"
    try:
        quarantine.mkdir(exist_ok=True)
        os.rename(path, moved)
    except FileNotFoundError:
        raise KeyError(key) from None  # another reader moved it aside first
    except OSError:
        log.exception("could not move damaged %s to %s", path, quarantine)
        return None
    sidecar = sidecar_of(path)
    with contextlib.suppress(FileNotFoundError):
        os.rename(sidecar, quarantine / f"{key}.{stamp}{ENVELOPE}")
    with contextlib.suppress(FileNotFoundError):
        os.rename(marker_of(path), quarantine / f"{key}.{stamp}{REDACTED}")
    log.error("kept file %s does not match its SHA-256 name: moved to %s", path, moved)
    return moved


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (flock on its descriptor) while inside."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
