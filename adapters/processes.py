"""The operating system's view of this host's processes, for claims on sends."""

from __future__ import annotations

import os
import platform

from application.ports import Processes


class LocalProcesses(Processes):
    """Asks the kernel: signal 0 tells whether a process exists without touching it."""

    def __init__(self) -> None:
        self.host = platform.node() or "localhost"

    def current(self) -> int:
        """Return this process's id."""
        return os.getpid()

    def running(self, pid: int) -> bool:
        """Return whether process ``pid`` exists (another user's counts as existing)."""
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
