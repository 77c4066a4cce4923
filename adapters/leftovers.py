"""Temporary files a killed writer left behind (``write_atomically``'s ``.incoming`` files).

A temporary file is named ``<target>.<pid>.<thread>.incoming``. One is a leftover when the
process that wrote it is gone (this host's process table says so), or when it is older than
any write takes (``STALE_AFTER``): a live writer's file is never touched before then.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

INCOMING = ".incoming"
# No write of a message takes ten minutes; a file this old belongs to nobody, even when
# its writer's pid was reused by another process since.
STALE_AFTER = 600.0
log = logging.getLogger(__name__)


def writer_of(path: Path) -> int | None:
    """Return the pid in a temporary file's name, or None if it has none."""
    parts = path.name.rsplit(".", 3)
    if len(parts) != 4 or parts[3] != INCOMING[1:] or not parts[1].isdigit():
        return None
    return int(parts[1])


def is_running(pid: int) -> bool:
    """Return whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def is_leftover(path: Path, *, now: float | None = None, stale_after: float = STALE_AFTER) -> bool:
    """Return whether the temporary file at ``path`` is safe to remove."""
    try:
        modified = path.lstat().st_mtime
    except FileNotFoundError:
        return False
    if (now if now is not None else time.time()) - modified >= stale_after:
        return True
    pid = writer_of(path)
    return pid is not None and pid != os.getpid() and not is_running(pid)


def stale_incoming(folder: Path, *, stale_after: float = STALE_AFTER) -> list[Path]:
    """Return the leftover temporary files directly in ``folder`` (none if it is missing)."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    now = time.time()
    return [
        Path(entry.path)
        for entry in entries
        if entry.name.endswith(INCOMING)
        and entry.is_file(follow_symlinks=False)
        and is_leftover(Path(entry.path), now=now, stale_after=stale_after)
    ]


def sweep_incoming(folder: Path, *, stale_after: float = STALE_AFTER) -> list[Path]:
    """Remove the leftover temporary files directly in ``folder``; return those removed.

    Best effort: a file that cannot be removed is logged and left, never an error for the
    write that asked for the sweep.
    """
    removed = []
    for path in stale_incoming(folder, stale_after=stale_after):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            log.warning("leftover %s not removed: %s", path, error)
            continue
        removed.append(path)
    return removed
