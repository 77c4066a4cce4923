"""Writing a file so that readers see either nothing or all of it, durably when asked."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence


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


def write_page_atomically(
    files: Sequence[tuple[str, bytes]], *, fsync: bool
) -> list[OSError | None]:
    """Write each ``(path, data)`` as :func:`write_atomically` does, syncing the page as a whole:
    every file is written first, then each is synced and renamed, then each folder is synced
    once. Return, in order, None for a file written or the error that stopped it.

    What a page costs is one sync per file and one per folder, against two per file one at a
    time; once this returns, every file it reports written survives a power loss.
    """
    errors: list[OSError | None] = [None] * len(files)
    opened: list[tuple[int, int, str, str]] = []
    try:
        for index, (path, data) in enumerate(files):
            temporary = f"{path}.{os.getpid()}.{threading.get_ident()}-{index}.incoming"
            try:
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            except OSError as error:
                errors[index] = error
                continue
            opened.append((index, fd, temporary, path))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            except OSError as error:
                errors[index] = error
        for index, fd, _, _ in opened:
            if fsync and errors[index] is None:
                try:
                    os.fsync(fd)
                except OSError as error:
                    errors[index] = error
    finally:
        for _, fd, _, _ in opened:
            os.close(fd)
    folders: dict[str, list[int]] = {}
    for index, _, temporary, path in opened:
        if errors[index] is None:
            try:
                os.replace(temporary, path)
            except OSError as error:
                errors[index] = error
            else:
                folders.setdefault(os.path.dirname(path) or ".", []).append(index)
                continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    if fsync:
        for folder, indexes in folders.items():
            try:
                fd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as error:
                # A rename not known to be durable is not reported written.
                for index in indexes:
                    errors[index] = error
    return errors
