"""An event store without events beside kept mail: lost events, or a first message in flight."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from adapters.storage.health import orphaned_store


def folder(tmp_path: Path, *, age: float) -> tuple[Path, Path, Path]:
    """Return a store with its table but no event, and one kept message ``age`` seconds old."""
    store, messages = tmp_path / "events.sqlite3", tmp_path / "messages"
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE stored_events (originator_id TEXT)")
    kept = messages / "ab" / f"{'ab' * 32}.eml"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"Subject: x\r\n\r\n")
    then = time.time() - age
    os.utime(kept, (then, then))
    return store, messages, tmp_path / "outbox"


def test_mail_kept_long_ago_beside_no_event_is_lost_events(tmp_path: Path) -> None:
    problem = orphaned_store(*folder(tmp_path, age=3600))
    assert problem is not None
    assert "without any event" in problem


def test_a_first_message_being_recorded_is_not_taken_for_lost_events(tmp_path: Path) -> None:
    # Two processes start together: one has kept the first message and not yet committed.
    assert orphaned_store(*folder(tmp_path, age=1)) is None


def test_a_missing_store_beside_kept_mail_is_refused_at_once(tmp_path: Path) -> None:
    store, messages, outbox = folder(tmp_path, age=1)
    store.unlink()
    assert orphaned_store(store, messages, outbox) is not None
