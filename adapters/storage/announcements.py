"""Announcements on the embedded default: one JSON object per line in the data folder."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from application.ports import Announcement, Announcer


class JsonLinesAnnouncer(Announcer):
    """Appends each announcement to a file, so local tools (and people) can follow along."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def publish(self, announcement: Announcement) -> None:
        """Append one line; one O_APPEND write keeps lines whole across processes."""
        line = (json.dumps(announcement.as_dict()) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
