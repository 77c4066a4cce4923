"""A per-key allowance over a sliding window, measured on the caller's clock."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Keys are forgotten beyond this many, oldest first: memory stays bounded whatever arrives.
_MAX_KEYS = 10_000


@dataclass
class RateLimit:
    """At most ``count`` uses per key within ``window``; one process's memory, not shared."""

    count: int
    window: timedelta
    _uses: dict[str, deque[datetime]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allows(self, key: str, now: datetime) -> bool:
        """Return whether ``key`` may be used at ``now``, counting the use if so."""
        with self._lock:
            uses = self._uses.pop(key, None) or deque()
            while uses and uses[0] <= now - self.window:
                uses.popleft()
            allowed = len(uses) < self.count
            if allowed:
                uses.append(now)
            self._uses[key] = uses  # re-inserted last: the dict stays in recency order
            while len(self._uses) > _MAX_KEYS:
                del self._uses[next(iter(self._uses))]
            return allowed
