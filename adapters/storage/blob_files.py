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
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
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


def write_messages(messages: Sequence[tuple[Path, bytes, bytes | None]], *, fsync: bool) -> None:
    """Write each ``(target, message, envelope record)`` through temporary files and renames,
    syncing them as one group (group commit): every file is written to a temporary, all are
    fsynced at once, then renamed into place (a message's envelope before it), then each
    folder is fsynced once, where one message at a time syncs its folder every time.

    The syncs of a group are issued together, from threads: the file system's journal then
    commits them together, where one after the other each waits for a commit of its own.
    Once this returns, every message is in place with its envelope, durably with ``fsync``.
    On an OSError nothing is acknowledged: raised before any rename, nothing is in place;
    during the renames, each message in place has its envelope (never the reverse order),
    and what is left over is what ``tidy`` sweeps.
    """
    tag = f"{os.getpid()}.{threading.get_ident()}.incoming"
    # (temporary, final path, open descriptor) in rename order; ``moved`` of them are in place.
    pending: list[tuple[str, str, int]] = []
    moved = 0
    try:
        try:
            for target, data, envelope in messages:
                if envelope is not None:
                    pending.append(_written(str(sidecar_of(target)), envelope, tag))
                pending.append(_written(str(target), data, tag))
            if fsync:
                _sync_all([fd for _, _, fd in pending])
        finally:
            for _, _, fd in pending:
                os.close(fd)
        for temporary, final, _ in pending:
            os.replace(temporary, final)
            moved += 1
    except BaseException:
        for temporary, _, _ in pending[moved:]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise
    if fsync:
        # The renames are durable once their folders are; one sync a folder for the group.
        folders = [os.open(f, os.O_RDONLY) for f in sorted({t.parent for t, _, _ in messages})]
        try:
            _sync_all(folders)
        finally:
            for fd in folders:
                os.close(fd)


# Threads that issue a group's fsyncs together; made on first use, shared by every store.
_SYNCERS = 8
_syncing: ThreadPoolExecutor | None = None
_syncing_made = threading.Lock()


def _sync_all(descriptors: list[int]) -> None:
    """fsync every descriptor, several at a time; raise the first error once all are done."""
    global _syncing
    if len(descriptors) <= 1:
        for fd in descriptors:
            os.fsync(fd)
        return
    with _syncing_made:
        if _syncing is None:
            _syncing = ThreadPoolExecutor(_SYNCERS, thread_name_prefix="cis-fsync")
        pool = _syncing
    done = [pool.submit(os.fsync, fd) for fd in descriptors]
    errors = [error for error in (future.exception() for future in done) if error is not None]
    if errors:
        raise errors[0]


def _written(path: str, data: bytes, tag: str) -> tuple[str, str, int]:
    """Write ``data`` to a temporary file beside ``path``; return the temporary's name,
    ``path`` and the temporary's descriptor, still open (for its fsync)."""
    temporary = f"{path}.{tag}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary, path, fd


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (flock on its descriptor) while inside."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
