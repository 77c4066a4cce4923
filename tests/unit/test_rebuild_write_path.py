"""The rebuild's write path into SQLite: the rows it writes in bulk are the rows the live path
writes one event at a time, byte for byte; a batch of many new rows is written whole or not
at all; and a rebuild leaves the process as it found it."""

from __future__ import annotations

import gc
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.readmodels.memory import MemoryReadModel
from adapters.readmodels.sqlite import SqliteReadModel
from application.projections.keys import Attendees, StreamMeta, StreamPosition
from application.projections.queries import Reports
from application.projections.runner import ProjectionRunner
from application.projections.store import Batch, ViewConflictError
from tests.driver import Driver
from tests.unit.test_projection_properties import scenario


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Driver, list[UUID]]:
    return scenario(tmp_path_factory.mktemp("history"))


@pytest.fixture
def history(story: tuple[Driver, list[UUID]]) -> Driver:
    return story[0]


def sqlite_dump(path: Path) -> dict[str, Any]:
    """Every stored row as SQLite holds it (data as text), without revisions."""
    with sqlite3.connect(path) as db:
        return {
            "items": db.execute("SELECT pk, sk, data FROM items ORDER BY pk, sk").fetchall(),
            "counters": db.execute(
                "SELECT pk, sk, n FROM counters WHERE n != 0 ORDER BY pk, sk"
            ).fetchall(),
            "positions": db.execute("SELECT * FROM positions ORDER BY stream").fetchall(),
        }


@pytest.fixture
def collector() -> Iterator[None]:
    """Whatever a test does to the cycle collector, the next test finds it on."""
    yield
    gc.enable()


def test_a_rebuild_writes_the_bytes_the_live_path_writes(history: Driver, tmp_path: Path) -> None:
    live = SqliteReadModel(tmp_path / "live.sqlite3")
    # Small batches: rows are inserted, then updated (by revision) as later events arrive.
    ProjectionRunner(history.store, live, batch=5).run()
    rebuilt = SqliteReadModel(tmp_path / "rebuilt.sqlite3")
    ProjectionRunner(history.store, rebuilt).rebuild(chunk=7)
    live.close()
    rebuilt.close()
    expected = sqlite_dump(tmp_path / "live.sqlite3")
    assert expected["items"], "the scenario has views"
    assert sqlite_dump(tmp_path / "rebuilt.sqlite3") == expected


def test_a_rebuild_over_old_views_replaces_them_all(history: Driver, tmp_path: Path) -> None:
    views = SqliteReadModel(tmp_path / "views.sqlite3")
    runner = ProjectionRunner(history.store, views)
    runner.rebuild()
    first = sqlite_dump(tmp_path / "views.sqlite3")
    assert runner.rebuild() > 0
    assert sqlite_dump(tmp_path / "views.sqlite3") == first
    assert runner.run() == 0  # resumes where the rebuild ended: nothing applied twice
    views.close()


def test_rebuilt_system_totals_count_each_recipient_once(
    story: tuple[Driver, list[UUID]], tmp_path: Path
) -> None:
    service, invites = story
    views = SqliteReadModel(tmp_path / "views.sqlite3")
    ProjectionRunner(service.store, views).rebuild()
    reports = Reports(views)
    # The reference: each recipient's own streams, not the views.
    rows = [
        view.row for invite in invites for view in service.doors.reading.recipients(str(invite))
    ]
    statuses = Counter(row.status for row in rows)
    totals = reports.system_statistics()
    assert totals["recipients"] == len(rows)
    assert totals["replied"] == sum(row.replied_at is not None for row in rows) > 0
    assert totals["bounced"] == statuses["bounced"]
    views.close()


def many_new_rows(count: int) -> Batch:
    """A batch of new rows of all shapes: long and short, empty, and not ASCII."""
    batch = Batch()
    for n in range(count):
        address = f"guest{n}@example.org"
        row = {"address": address, "name": f"Zoë {n}" if n % 3 else None, "history": [n] * (n % 5)}
        batch.puts[(Attendees("invite-1"), address)] = (row, 0)
        batch.puts[(StreamMeta(f"stream-{n}"), "")] = ({} if n % 2 else {"invite": "1"}, 0)
        batch.tracking[StreamPosition(f"stream-{n}")] = (0, n % 4 + 1)
    return batch


def test_a_batch_of_many_new_rows_reads_back_as_written(tmp_path: Path) -> None:
    views = SqliteReadModel(tmp_path / "views.sqlite3")
    batch = many_new_rows(1013)  # past several statements' worth of rows, and a remainder
    views.commit(batch)
    for (pk, sk), (data, _) in batch.puts.items():
        item = views.get(pk, sk)
        assert item is not None
        assert (item.data, item.rev) == (data, 1)
    for key, (_, version) in batch.tracking.items():
        assert views.position(key) == version
    views.close()


def test_a_batch_of_new_rows_naming_one_that_exists_writes_nothing(tmp_path: Path) -> None:
    views = SqliteReadModel(tmp_path / "views.sqlite3")
    batch = many_new_rows(600)
    taken = (Attendees("invite-1"), "guest599@example.org")
    views.commit(Batch(puts={taken: ({"address": "guest599@example.org"}, 0)}))
    with pytest.raises(ViewConflictError):
        views.commit(batch)
    assert views.get(Attendees("invite-1"), "guest0@example.org") is None
    assert views.position(StreamPosition("stream-0")) == 0
    views.close()


class DiskFull(MemoryReadModel):
    """A read model whose every write fails, as a full disk would."""

    def commit(self, batch: Batch) -> None:
        raise OSError("no space left on device")


@pytest.mark.usefixtures("collector")
@pytest.mark.parametrize("enabled", [True, False])
def test_a_rebuild_leaves_the_cycle_collector_as_it_found_it(
    history: Driver, enabled: bool
) -> None:
    (gc.enable if enabled else gc.disable)()
    assert ProjectionRunner(history.store, MemoryReadModel()).rebuild() > 0
    assert gc.isenabled() is enabled
    with pytest.raises(OSError, match="no space"):
        ProjectionRunner(history.store, DiskFull()).rebuild()
    assert gc.isenabled() is enabled
