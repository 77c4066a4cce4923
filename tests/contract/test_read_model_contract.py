"""One contract for every read-model store: in memory, SQLite (and DynamoDB under moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from adapters.readmodels.memory import MemoryReadModel
from adapters.readmodels.sqlite import SqliteReadModel
from application.projections.keys import (
    USAGE,
    Attendees,
    InviteItems,
    LogPosition,
    Partition,
    Scope,
    Statistics,
    StreamMeta,
    StreamPosition,
    ViewsVersion,
)
from application.projections.store import Batch, Item, ReadModel, ViewConflictError

P, Q, OTHER, NOTHING = InviteItems("p"), InviteItems("q"), Attendees("p"), Attendees("nothing")
S, T = Statistics(Scope.ORGANIZER, "s"), Statistics(Scope.ORGANIZER, "t")
C, NONE = Statistics(Scope.SYSTEM, shard=0), Statistics(Scope.DOMAIN, "none", 0)
S1 = StreamPosition("s1")


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


def put(store: ReadModel, pk: Partition, sk: str, data: dict[str, object], rev: int = 0) -> None:
    store.commit(Batch(puts={(pk, sk): (data, rev)}))


def test_an_item_is_written_read_and_rewritten_at_its_revision(store: ReadModel) -> None:
    put(store, P, "a", {"n": 1, "text": "é<&>"})
    item = store.get(P, "a")
    assert item is not None
    assert (item.data, item.rev) == ({"n": 1, "text": "é<&>"}, 1)
    put(store, P, "a", {"n": 2}, rev=1)
    assert store.get(P, "a") == type(item)(P, "a", {"n": 2}, 2)
    assert store.get(P, "b") is None
    assert store.get(Q, "a") is None


def test_a_write_at_a_stale_revision_is_refused_whole(store: ReadModel) -> None:
    put(store, P, "a", {"n": 1})
    with pytest.raises(ViewConflictError):
        store.commit(Batch(puts={(P, "b"): ({"n": 1}, 0), (P, "a"): ({"n": 9}, 0)}))
    assert store.get(P, "b") is None
    with pytest.raises(ViewConflictError):
        store.commit(Batch(deletes={(P, "a"): 5}))
    item = store.get(P, "a")
    assert item is not None
    assert item.data == {"n": 1}


def test_partitions_are_ranges_in_sort_key_order(store: ReadModel) -> None:
    for key in ("c", "a", "e", "b", "d"):
        put(store, P, key, {"k": key})
    put(store, OTHER, "a", {"k": "x"})

    def keys(items: list[Item]) -> list[str]:
        return [i.sk for i in items]

    assert keys(store.query(P)) == ["a", "b", "c", "d", "e"]
    assert keys(store.query(P, after="b", limit=2)) == ["c", "d"]
    assert keys(store.query(P, before="d")) == ["a", "b", "c"]
    assert keys(store.query(P, descending=True, limit=2)) == ["e", "d"]
    assert keys(store.query(P, before="d", descending=True, limit=2)) == ["c", "b"]
    assert keys(store.query(P, after="a", before="e", descending=True)) == ["d", "c", "b"]
    assert store.query(NOTHING) == []


def test_a_prefix_reads_only_the_keys_that_start_with_it(store: ReadModel) -> None:
    top = chr(0x10FFFF)
    for key in ("a", "ab", "ab@x", "abc", "abd", "ac", "b", f"ab{top}", f"ab{top}z", "é", "éa"):
        put(store, P, key, {})

    def keys(**bounds: object) -> list[str]:
        return [i.sk for i in store.query(P, **bounds)]  # type: ignore[arg-type]

    assert keys(prefix="ab") == ["ab", "ab@x", "abc", "abd", f"ab{top}", f"ab{top}z"]
    assert keys(prefix="ab", limit=2) == ["ab", "ab@x"]
    assert keys(prefix="ab", after="ab@x", limit=2) == ["abc", "abd"]
    assert keys(prefix="ab", after="a") == keys(prefix="ab")  # the prefix bounds it
    assert keys(prefix="ab", after="ac") == []
    assert keys(prefix="ab", before="abd") == ["ab", "ab@x", "abc"]
    assert keys(prefix="ab", descending=True, limit=3) == [f"ab{top}z", f"ab{top}", "abd"]
    assert keys(prefix=f"ab{top}") == [f"ab{top}", f"ab{top}z"]
    assert keys(prefix="é") == ["é", "éa"]
    assert keys(prefix="z") == []
    assert keys(prefix="") == keys()


def test_many_items_are_read_at_once_in_the_order_asked(store: ReadModel) -> None:
    for key in ("a", "b", "c"):
        put(store, P, key, {"k": key})
    put(store, Q, "d", {"k": "d"})
    found = store.get_many(P, ["c", "missing", "a", "d"])
    assert [(i.sk, i.data, i.rev) for i in found] == [("c", {"k": "c"}, 1), ("a", {"k": "a"}, 1)]
    assert store.get_many(P, []) == []
    keys = [f"k{n:03}" for n in range(150)]  # more than one DynamoDB BatchGetItem holds
    for start in range(0, len(keys), 50):
        store.commit(Batch(puts={(OTHER, k): ({}, 0) for k in keys[start : start + 50]}))
    assert [i.sk for i in store.get_many(OTHER, keys[::-1])] == keys[::-1]


def test_deleted_items_leave_their_partition(store: ReadModel) -> None:
    put(store, P, "a", {})
    put(store, P, "b", {})
    store.commit(Batch(deletes={(P, "a"): 1}))
    assert [i.sk for i in store.query(P)] == ["b"]
    put(store, P, "a", {"again": True})  # a deleted item starts over at revision 0
    assert [i.sk for i in store.query(P)] == ["a", "b"]


def test_counters_add_up_across_commits(store: ReadModel) -> None:
    store.commit(Batch(adds={(S, "x"): 2, (S, "y"): 1}))
    store.commit(Batch(adds={(S, "x"): -1, (T, "x"): 5}))
    assert store.counters(S) == {"x": 1, "y": 1}
    assert store.counters(T) == {"x": 5}
    assert store.counters(NONE) == {}


def test_stream_positions_move_only_from_where_they_were_read(store: ReadModel) -> None:
    assert store.position(S1) == 0
    store.commit(Batch(tracking={S1: (0, 3)}, adds={(C, "n"): 1}))
    assert store.position(S1) == 3
    with pytest.raises(ViewConflictError):
        store.commit(Batch(tracking={S1: (0, 4)}, adds={(C, "n"): 1}))
    assert store.position(S1) == 3
    assert store.counters(C) == {"n": 1}  # the refused batch added nothing


def test_clear_forgets_everything(store: ReadModel) -> None:
    store.commit(Batch(puts={(P, "a"): ({}, 0)}, adds={(C, "n"): 1}, tracking={S1: (0, 1)}))
    store.clear()
    assert (store.get(P, "a"), store.counters(C), store.position(S1)) == (None, {}, 0)


def test_clear_keeps_the_usage_counters_no_event_could_rebuild(store: ReadModel) -> None:
    feed, other = f"{USAGE}feed_reads:organizer", "usage-like but not one"
    store.commit(Batch(adds={(S, feed): 3, (S, "invited"): 2, (S, other): 1, (T, "n"): 1}))
    store.clear()
    assert (store.counters(S), store.counters(T)) == ({feed: 3}, {})
    store.commit(Batch(adds={(S, feed): 1, (S, "invited"): 5}))
    assert store.counters(S) == {feed: 4, "invited": 5}


def test_keys_of_different_kinds_never_meet(store: ReadModel) -> None:
    # The same words in keys of different kinds name different partitions and positions.
    put(store, InviteItems("x"), "a", {"kind": "invite"})
    put(store, StreamMeta("x"), "a", {"kind": "stream"})
    store.commit(
        Batch(
            adds={(Statistics(Scope.INVITE, "x"), "n"): 1},
            tracking={StreamPosition("x"): (0, 2), LogPosition("x"): (0, 5)},
        )
    )
    assert store.query(Attendees("x")) == []
    assert [i.data for i in store.query(InviteItems("x"))] == [{"kind": "invite"}]
    assert [i.data for i in store.query(StreamMeta("x"))] == [{"kind": "stream"}]
    assert store.counters(Statistics(Scope.ORGANIZER, "x")) == {}
    assert (store.position(StreamPosition("x")), store.position(LogPosition("x"))) == (2, 5)
    assert store.position(ViewsVersion()) == 0
    store.commit(Batch(tracking={ViewsVersion(): (0, 2)}))
    assert (store.position(ViewsVersion()), store.position(LogPosition("x"))) == (2, 5)
