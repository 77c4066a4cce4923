"""Loading an invite with a long history costs about what a short one does (snapshots).

Builds, in a fresh SQLite store, one invite with 10 updates and one with 10,000, then times
loading each (median of many loads), and loading the long one by replaying every event.
Usage: python -m bench.snapshots [--updates N] [--loads N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from application.store import InviteStore
from bench.scratch import scratch
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.values import Component, EventDetails, Method
from entrypoints.container import bootstrap
from entrypoints.settings import Settings

START = datetime(2026, 1, 1, tzinfo=UTC)


def build(store: InviteStore, uid: str, updates: int) -> UUID:
    """Create an invite and apply ``updates`` updates, one save each, as ingest would."""
    invite = Invite(
        organizer="organizer@example.com", organizer_name=None, uid=uid, timestamp=START
    )
    for sequence in range(updates + 1):
        stamp = START + timedelta(minutes=sequence)
        details = EventDetails(
            summary=f"Weekly sync #{sequence}", start="2026-02-02T10:00:00+01:00"
        )
        message = ItipMessage(Method.REQUEST, uid, (Component(sequence, stamp, details=details),))
        invite.receive(message, stamp)
        store.save(invite)
    return invite.id


def median_seconds(work: Callable[[], object], loads: int) -> float:
    """Return the median wall-clock seconds of ``loads`` calls of ``work``."""
    times = []
    for _ in range(loads):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Build both histories, then print load medians and their ratio."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--updates", type=int, default=10_000)
    options.add_argument("--loads", type=int, default=200)
    args = options.parse_args()
    with tempfile.TemporaryDirectory(dir=scratch()) as tmp:
        store = bootstrap(Settings(data_dir=Path(tmp))).store()
        short = build(store, "short@example.com", 10)
        long = build(store, "long@example.com", args.updates)
        short_load = median_seconds(lambda: store.repository.get(short), args.loads)
        long_load = median_seconds(lambda: store.repository.get(long), args.loads)
        replay = median_seconds(lambda: list(store.events.get(long)), max(3, args.loads // 50))
        store.close()
    print(f"load invite with 10 updates:      {short_load * 1e3:8.3f} ms (median)")
    print(f"load invite with {args.updates} updates: {long_load * 1e3:8.3f} ms (median, snapshot)")
    print(f"read all {args.updates + 2} events of it:    {replay * 1e3:8.3f} ms (no snapshot)")
    print(
        f"ratio long / short load: {long_load / short_load:.2f}x (target: about 1x or less; "
        "a load replays at most 49 events after the newest snapshot)"
    )


if __name__ == "__main__":
    main()
