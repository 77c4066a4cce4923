"""One contract for every read-model store: in memory, SQLite (and DynamoDB under moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from adapters.readmodels.sqlite import SqliteReadModel
from application.projections.memory import MemoryReadModel
from application.projections.store import Batch, Item, ReadModel, ViewConflictError


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadModel]:
    if request.param == "memory":
        yield MemoryReadModel()
        return
    if request.param == "dynamodb":
        from adapters.readmodels.dynamodb import DynamoReadModel

        request.getfixturevalue("aws")  # moto in-process; a fresh, small table per test
        yield DynamoReadModel(f"views-{uuid4().hex[:10]}", region="us-east-1", create=True)
        return
    sqlite = SqliteReadModel(tmp_path / "views.sqlite3")
    yield sqlite
    sqlite.close()


def put(store: ReadModel, pk: str, sk: str, data: dict[str, object], rev: int = 0) -> None:
    store.commit(Batch(puts={(pk, sk): (data, rev)}))


def test_an_item_is_written_read_and_rewritten_at_its_revision(store: ReadModel) -> None:
    put(store, "p", "a", {"n": 1, "text": "é<&>"})
    item = store.get("p", "a")
    assert item is not None
    assert (item.data, item.rev) == ({"n": 1, "text": "é<&>"}, 1)
    put(store, "p", "a", {"n": 2}, rev=1)
    assert store.get("p", "a") == type(item)("p", "a", {"n": 2}, 2)
    assert store.get("p", "b") is None
    assert store.get("q", "a") is None


def test_a_write_at_a_stale_revision_is_refused_whole(store: ReadModel) -> None:
    put(store, "p", "a", {"n": 1})
    with pytest.raises(ViewConflictError):
        store.commit(Batch(puts={("p", "b"): ({"n": 1}, 0), ("p", "a"): ({"n": 9}, 0)}))
    assert store.get("p", "b") is None
    with pytest.raises(ViewConflictError):
        store.commit(Batch(deletes={("p", "a"): 5}))
    item = store.get("p", "a")
    assert item is not None
    assert item.data == {"n": 1}


def test_partitions_are_ranges_in_sort_key_order(store: ReadModel) -> None:
    for key in ("c", "a", "e", "b", "d"):
        put(store, "p", key, {"k": key})
    put(store, "other", "a", {"k": "x"})

    def keys(items: list[Item]) -> list[str]:
        return [i.sk for i in items]

    assert keys(store.query("p")) == ["a", "b", "c", "d", "e"]
    assert keys(store.query("p", after="b", limit=2)) == ["c", "d"]
    assert keys(store.query("p", before="d")) == ["a", "b", "c"]
    assert keys(store.query("p", descending=True, limit=2)) == ["e", "d"]
    assert keys(store.query("p", before="d", descending=True, limit=2)) == ["c", "b"]
    assert keys(store.query("p", after="a", before="e", descending=True)) == ["d", "c", "b"]
    assert store.query("nothing") == []


def test_deleted_items_leave_their_partition(store: ReadModel) -> None:
    put(store, "p", "a", {})
    put(store, "p", "b", {})
    store.commit(Batch(deletes={("p", "a"): 1}))
    assert [i.sk for i in store.query("p")] == ["b"]
    put(store, "p", "a", {"again": True})  # a deleted item starts over at revision 0
    assert [i.sk for i in store.query("p")] == ["a", "b"]


def test_counters_add_up_across_commits(store: ReadModel) -> None:
    store.commit(Batch(adds={("s", "x"): 2, ("s", "y"): 1}))
    store.commit(Batch(adds={("s", "x"): -1, ("t", "x"): 5}))
    assert store.counters("s") == {"x": 1, "y": 1}
    assert store.counters("t") == {"x": 5}
    assert store.counters("none") == {}


def test_stream_positions_move_only_from_where_they_were_read(store: ReadModel) -> None:
    assert store.position("s1") == 0
    store.commit(Batch(tracking={"s1": (0, 3)}, adds={("c", "n"): 1}))
    assert store.position("s1") == 3
    with pytest.raises(ViewConflictError):
        store.commit(Batch(tracking={"s1": (0, 4)}, adds={("c", "n"): 1}))
    assert store.position("s1") == 3
    assert store.counters("c") == {"n": 1}  # the refused batch added nothing


def test_clear_forgets_everything(store: ReadModel) -> None:
    store.commit(Batch(puts={("p", "a"): ({}, 0)}, adds={("c", "n"): 1}, tracking={"s": (0, 1)}))
    store.clear()
    assert (store.get("p", "a"), store.counters("c"), store.position("s")) == (None, {}, 0)
