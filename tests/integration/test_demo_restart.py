"""The demo (``cis serve --demo``, ``make run``) loads once per data folder and keeps its key."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from application.vocabulary import Scope
from entrypoints.container import bootstrap
from entrypoints.demo import KEY_FILE, demo_api_key, load_demo
from entrypoints.settings import Settings

NOW = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)


def run_demo(data: Path, now: datetime) -> tuple[list[str], str, dict[str, int], int]:
    """Start as ``cis serve --demo`` does on ``data`` (a fresh container: a restart); return
    the invites, the key, each invite's event count and how many mails were sent."""
    container = bootstrap(Settings(data_dir=data))
    doors = container.front_doors()
    invites = load_demo(doors, container.settings().create_address, now)
    token = demo_api_key(doors, data, now)
    events = {invite: len(doors.reading.history(invite)) for invite in invites}
    return invites, token, events, len(list(doors.reading.outbox()))


def test_a_restart_adds_no_events_sends_nothing_and_keeps_the_key(tmp_path: Path) -> None:
    first = run_demo(tmp_path, NOW)
    # A day later, as a person restarting `make run` would: the demo's dates would move.
    second = run_demo(tmp_path, NOW + timedelta(days=1))
    assert len(first[0]) == 3
    assert second == first
    kept = tmp_path / KEY_FILE
    assert kept.read_text().strip() == first[1]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_a_kept_key_that_no_longer_works_is_replaced(tmp_path: Path) -> None:
    _, token, _, _ = run_demo(tmp_path, NOW)
    doors = bootstrap(Settings(data_dir=tmp_path)).front_doors()
    doors.admin.keys.revoke(token, "test", NOW)
    replaced = demo_api_key(doors, tmp_path, NOW)
    assert replaced != token
    principal = doors.admin.keys.authenticate(replaced, NOW)
    assert principal is not None
    assert principal.kind == Scope.ADMIN
    assert (tmp_path / KEY_FILE).read_text().strip() == replaced
    # Without a folder (the memory backend), nothing is kept.
    assert demo_api_key(doors, None, NOW) not in {token, replaced}
    assert [p.name for p in tmp_path.iterdir() if "demo" in p.name] == [KEY_FILE]
