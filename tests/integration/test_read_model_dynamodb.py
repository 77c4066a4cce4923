"""The DynamoDB read model under moto: what it costs in calls, its limits and its key mapping.

Calls are recorded with a botocore ``before-call`` hook on the store's own client, so every
request the adapter makes is seen, retries by the adapter included.
"""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError

from adapters.readmodels.dynamodb import DynamoReadModel
from adapters.readmodels.memory import MemoryReadModel
from application.projections.keys import (
    InviteItems,
    LogPosition,
    Scope,
    Statistics,
    StreamMeta,
    StreamPosition,
)
from application.projections.store import Batch, ReadModel, ViewConflictError

pytestmark = pytest.mark.usefixtures("aws")

ROOT = Path(__file__).resolve().parents[2]

P = InviteItems("p")
S, C = Statistics(Scope.ORGANIZER, "s"), Statistics(Scope.SYSTEM, shard=0)
STREAM = StreamPosition("s")


class Calls:
    """The name of every DynamoDB operation the client is asked to make."""

    def __init__(self, store: DynamoReadModel) -> None:
        self.operations: list[str] = []
        store.client.meta.events.register("before-call.dynamodb", self.hook)

    def hook(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    def take(self) -> list[str]:
        """Return the operations recorded since the last take, and forget them."""
        taken, self.operations = self.operations, []
        return taken


@pytest.fixture
def store() -> DynamoReadModel:
    """A fresh, small table (moto slows down as tables grow)."""
    return DynamoReadModel(f"views-{uuid4().hex[:10]}", region="us-east-1", create=True)


def test_a_commit_is_one_transaction_and_reads_never_scan(store: DynamoReadModel) -> None:
    store.commit(Batch(puts={(P, "a"): ({"n": 1}, 0), (P, "b"): ({}, 0)}))
    calls = Calls(store)

    store.commit(
        Batch(
            puts={(P, "a"): ({"n": 2}, 1), (P, "c"): ({}, 0)},
            deletes={(P, "b"): 1},
            adds={(S, "x"): 1, (S, "y"): 2},
            tracking={STREAM: (0, 1)},
        )
    )
    assert calls.take() == ["TransactWriteItems"]
    with pytest.raises(ViewConflictError):
        store.commit(Batch(puts={(P, "a"): ({}, 1)}))  # stale: a failed condition
    assert calls.take() == ["TransactWriteItems"]  # is never sent again
    store.commit(Batch())
    assert calls.take() == []

    assert store.get(P, "a") is not None
    assert calls.take() == ["GetItem"]
    assert [i.sk for i in store.query(P, after="a", before="z")] == ["c"]
    assert calls.take() == ["Query"]
    assert store.counters(S) == {"x": 1, "y": 2}
    assert calls.take() == ["Query"]
    assert store.position(STREAM) == 1
    assert calls.take() == ["GetItem"]


def two_at_a_time(params: dict[str, Any], **_: Any) -> None:
    """Pages of at most two items, as 1 MB pages of large items would be."""
    params["Limit"] = min(params.get("Limit", 2), 2)


def test_queries_page_through_a_partition_without_scanning(store: DynamoReadModel) -> None:
    keys = [f"k{i:02}" for i in range(9)]
    store.commit(
        Batch(puts={(P, key): ({}, 0) for key in keys}, adds={(C, key): 1 for key in keys})
    )
    store.client.meta.events.register("provide-client-params.dynamodb.Query", two_at_a_time)
    calls = Calls(store)
    assert [i.sk for i in store.query(P, limit=100)] == keys
    assert calls.take() == ["Query"] * 5
    assert [i.sk for i in store.query(P, after="k00", before="k08", limit=6)] == keys[1:7]
    assert [i.sk for i in store.query(P, before="k08", descending=True)] == keys[7::-1]
    assert store.counters(C) == dict.fromkeys(keys, 1)
    assert set(calls.take()) == {"Query"}


def test_query_bounds_and_limits_match_the_memory_store(store: DynamoReadModel) -> None:
    reference = MemoryReadModel()
    keys = ["", "a", "b", "bb", "c", "é", "日"]
    for target in (store, reference):
        for key in keys:
            target.commit(Batch(puts={(P, key): ({"k": key}, 0)}))
    bounds = [None, "", "a", "ab", "c", "d", "日", "😀"]
    for after, before, limit, descending in itertools.product(
        bounds, bounds, (1, 2, 10), (False, True)
    ):
        expected = reference.query(
            P, after=after, before=before, limit=limit, descending=descending
        )
        found = store.query(P, after=after, before=before, limit=limit, descending=descending)
        assert found == expected, (after, before, limit, descending)


def test_more_than_100_operations_are_refused_before_anything_is_written(
    store: DynamoReadModel,
) -> None:
    calls = Calls(store)
    too_many = Batch(
        puts={(P, f"{i:03}"): ({}, 0) for i in range(99)},
        adds={(C, "n"): 1},
        tracking={STREAM: (0, 1)},
    )
    assert len(too_many) == 101
    with pytest.raises(ValueError, match="at most 100"):
        store.commit(too_many)
    assert calls.take() == []
    assert (store.query(P), store.counters(C), store.position(STREAM)) == ([], {}, 0)

    del too_many.puts[(P, "000")]  # exactly 100: one transaction
    store.commit(too_many)
    assert calls.take().count("TransactWriteItems") == 1
    assert len(store.query(P, limit=1000)) == 98
    assert (store.counters(C), store.position(STREAM)) == ({"n": 1}, 1)


def test_a_key_both_put_and_deleted_is_refused(store: DynamoReadModel) -> None:
    with pytest.raises(ValueError, match="both puts and deletes"):
        store.commit(Batch(puts={(P, "a"): ({}, 1)}, deletes={(P, "a"): 1}))


def test_empty_and_unicode_sort_keys_round_trip_in_order(store: DynamoReadModel) -> None:
    META = StreamMeta("1")
    keys = ["z", "", "é", "~", "A", "😀", "日本", "\u00ff", " ", "a#b"]
    for key in keys:
        store.commit(Batch(puts={(META, key): ({"key": key, "f": 0.5, "e": ""}, 0)}))
    assert [i.sk for i in store.query(META, limit=100)] == sorted(keys)
    assert [i.sk for i in store.query(META, limit=100, descending=True)] == sorted(
        keys, reverse=True
    )
    assert [i.sk for i in store.query(META, after="", limit=100)] == sorted(keys)[1:]
    assert store.query(META, before="") == []
    for key in keys:
        item = store.get(META, key)
        assert item is not None
        assert (item.sk, item.data, item.rev) == (key, {"key": key, "f": 0.5, "e": ""}, 1)
    store.commit(Batch(deletes={(META, ""): 1}))
    assert store.get(META, "") is None
    accented = Statistics(Scope.ORGANIZER, "é")
    store.commit(Batch(adds={(C, ""): 3, (accented, "😀"): 1}))
    assert (store.counters(C), store.counters(accented)) == ({"": 3}, {"😀": 1})


def test_keys_are_stored_as_the_layout_spells_them_in_their_own_key_space(
    store: DynamoReadModel,
) -> None:
    # Fields that look like the counter and position prefixes stay inside the item key space.
    store.commit(Batch(puts={(StreamMeta("#c#x"), "y"): ({"item": True}, 0)}))
    store.commit(
        Batch(
            adds={(Statistics(Scope.INVITE, "x"), "y"): 1},
            tracking={StreamPosition("#t#s"): (0, 7), LogPosition("app"): (0, 3)},
        )
    )
    assert store.counters(Statistics(Scope.INVITE, "x")) == {"y": 1}
    assert store.position(StreamPosition("#t#s")) == 7
    assert store.position(LogPosition("app")) == 3
    assert store.counters(Statistics(Scope.INVITE, "#c#x")) == {}
    item = store.get(StreamMeta("#c#x"), "y")
    assert item is not None
    assert (item.data, item.rev) == ({"item": True}, 1)
    stored = store.client.scan(TableName=store.table_name)["Items"]
    assert sorted((i["pk"]["S"], i["sk"]["S"]) for i in stored) == [
        ("#c#stats#invite#x", "=y"),
        ("#t##t#s", "="),
        ("#t#log#app", "="),
        ("=stream##c#x", "=y"),
    ]


def test_clear_scans_and_empties_the_table(store: DynamoReadModel) -> None:
    store.commit(
        Batch(
            puts={(P, str(i)): ({}, 0) for i in range(40)},
            adds={(C, "n"): 1},
            tracking={STREAM: (0, 1)},
        )
    )
    calls = Calls(store)
    store.clear()
    assert set(calls.take()) == {"Scan", "BatchWriteItem"}
    assert store.client.scan(TableName=store.table_name)["Count"] == 0


# Faults: a TransactWriteItems cancelled by DynamoDB, answered before moto sees the request.

ERROR_TYPE = "com.amazonaws.dynamodb.v20120810#"


class Body(io.BytesIO):
    """The raw body botocore reads from an AWSResponse."""

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.getvalue()


class Cancellations:
    """Cancels the first ``count`` transactions, every operation with ``code``."""

    def __init__(self, store: DynamoReadModel, code: str, count: int) -> None:
        self.code = code
        self.remaining = count
        store.client.meta.events.register("before-send.dynamodb.TransactWriteItems", self)

    def __call__(self, request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        raw = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        items = len(json.loads(raw)["TransactItems"])
        body = {
            "__type": ERROR_TYPE + "TransactionCanceledException",
            "message": "injected",
            "CancellationReasons": [{"Code": self.code}] * items,
        }
        # moto's own before-send handler runs after this one whatever it returns: send the
        # request where moto does not answer, so the refused write is not applied.
        request.url = "https://fault-injected.invalid/"
        return AWSResponse(
            request.url,
            400,
            {"Content-Type": "application/x-amz-json-1.0"},
            Body(json.dumps(body).encode()),
        )


def test_a_transaction_cancelled_by_contention_is_sent_again(store: DynamoReadModel) -> None:
    faults = Cancellations(store, "TransactionConflict", 2)
    store.commit(Batch(puts={(P, "a"): ({}, 0)}, tracking={STREAM: (0, 1)}))
    assert faults.remaining == 0
    assert store.position(STREAM) == 1


def test_contention_that_persists_becomes_a_view_conflict(store: DynamoReadModel) -> None:
    Cancellations(store, "ThrottlingError", 100)
    with pytest.raises(ViewConflictError, match="still cancelled"):
        store.commit(Batch(puts={(P, "a"): ({}, 0)}))


def test_data_dynamodb_refuses_is_not_a_conflict(store: DynamoReadModel) -> None:
    Cancellations(store, "ValidationError", 1)
    with pytest.raises(ClientError, match="TransactionCanceled"):
        store.commit(Batch(puts={(P, "a"): ({}, 0)}))


# The client: made on first use, once.


def test_importing_and_constructing_make_no_client() -> None:
    code = (
        "import sys\n"
        "from adapters.readmodels.dynamodb import DynamoReadModel\n"
        "DynamoReadModel('views', region='us-east-1', create=True)\n"
        "assert 'boto3' not in sys.modules, 'boto3 imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_racing_threads_share_one_client() -> None:
    store = DynamoReadModel(f"views-{uuid4().hex[:10]}", region="us-east-1", create=True)
    clients: list[Any] = []
    start = threading.Barrier(8)

    def first_use() -> None:
        start.wait()
        clients.append(store.client)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients) == 8
    assert all(client is clients[0] for client in clients)
    assert isinstance(store, ReadModel)
