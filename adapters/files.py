"""Writing a file so that readers see either nothing or all of it, durably when asked."""

from __future__ import annotations

import contextlib
import os
import threading


def write_atomically(path: str, data: bytes, *, fsync: bool) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    With ``fsync``, the file and then its folder are synced, so once this returns the file
    survives a power loss; without, it survives any process crash. The temporary name is
    unique per process and thread, so concurrent writers of the same path never collide.
    """
    temporary = f"{path}.{os.getpid()}.{threading.get_ident()}.incoming"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if fsync:
        # The rename is only durable once the folder's entry is on disk too.
        folder = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
