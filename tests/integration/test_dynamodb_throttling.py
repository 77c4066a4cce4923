"""Throttling and transient transaction cancellations on the DynamoDB module, under moto.

Faults are injected with a ``before-send`` hook on the table's real boto3 client, so every
retry goes through botocore's retry handler and ``DynamoTable.transact`` exactly as it would
against AWS; moto answers once the faults run out.
"""

from __future__ import annotations

import io
import json
import types
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from adapters.storage.dynamodb.application import DynamoApplicationRecorder
from adapters.storage.dynamodb.events import DynamoAggregateRecorder
from adapters.storage.dynamodb.table import DynamoTable, RetryableConflictError

ERROR_TYPE = "com.amazonaws.dynamodb.v20120810#"

pytestmark = pytest.mark.usefixtures("aws", "instant_botocore_backoff")


class Body(io.BytesIO):
    """The raw body botocore reads from an AWSResponse."""

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.getvalue()


class Faults:
    """Answers the first ``count`` requests of one operation with a DynamoDB error."""

    def __init__(self, error: str, count: int, reasons: list[str] | None = None) -> None:
        self.error = error
        self.remaining = count
        # Codes for the first items of a transaction; the others get "None" (not at fault).
        self.reasons = reasons

    def __call__(self, request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse | None:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        body: dict[str, Any] = {"__type": ERROR_TYPE + self.error, "message": "injected"}
        if self.reasons is not None:
            raw = request.body if isinstance(request.body, bytes) else str(request.body).encode()
            items = len(json.loads(raw)["TransactItems"])
            codes = (self.reasons + ["None"] * items)[:items]
            body["CancellationReasons"] = [{"Code": code} for code in codes]
        # moto's own before-send handler runs after this one whatever it returns, and would
        # apply the write that AWS refused: send the request where moto does not answer.
        request.url = "https://fault-injected.invalid/"
        return AWSResponse(
            request.url,
            400,
            {"Content-Type": "application/x-amz-json-1.0"},
            Body(json.dumps(body).encode()),
        )


def no_sleep(seconds: float) -> None:
    """Backoff happens, instantly."""


@pytest.fixture
def instant_botocore_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore sleeps between its own retries (seconds, for throttling): skip the wait."""
    monkeypatch.setattr("botocore.endpoint.time", types.SimpleNamespace(sleep=no_sleep))


def fresh_table(**options: Any) -> DynamoTable:
    """A new, empty table (moto slows down as tables grow), backoff without waiting."""
    table = DynamoTable(
        f"throttle-{uuid4().hex[:10]}", region="us-east-1", sleep=no_sleep, **options
    )
    table.create_if_missing()
    return table


def inject(table: DynamoTable, operation: str, faults: Faults) -> Faults:
    table.client.meta.events.register(f"before-send.dynamodb.{operation}", faults)
    return faults


def events(count: int) -> list[StoredEvent]:
    """``count`` consecutive events of one new aggregate."""
    originator_id = uuid4()
    return [StoredEvent(originator_id, v, "topic", b"state") for v in range(1, count + 1)]


def throttling(count: int) -> Faults:
    return Faults("ProvisionedThroughputExceededException", count)


def cancelled(count: int, *reasons: str) -> Faults:
    return Faults("TransactionCanceledException", count, reasons=list(reasons))


def test_throttled_save_lands_after_botocore_retries() -> None:
    recorder = DynamoAggregateRecorder(fresh_table(max_attempts=10))
    faults = inject(recorder.table, "TransactWriteItems", throttling(6))
    batch = events(3)
    recorder.insert_events(batch)
    assert faults.remaining == 0
    assert recorder.select_events(batch[0].originator_id) == batch


def test_throttling_beyond_the_attempts_raises_clearly_and_stores_nothing() -> None:
    recorder = DynamoAggregateRecorder(fresh_table(max_attempts=3))
    faults = inject(recorder.table, "TransactWriteItems", throttling(4))
    batch = events(2)
    with pytest.raises(OperationalError, match="still throttled") as raised:
        recorder.insert_events(batch)
    # Throttling is not a conflict: a caller that loops on those must not hammer the table.
    assert not isinstance(raised.value, RetryableConflictError)
    assert faults.remaining == 1
    assert recorder.select_events(batch[0].originator_id) == []


def test_throttled_reads_are_retried() -> None:
    table = fresh_table(max_attempts=5)
    recorder = DynamoApplicationRecorder(table, notifications=True)
    batch = events(2)
    assert recorder.insert_events(batch) == [1, 2]
    queries = inject(table, "Query", throttling(4))
    gets = inject(table, "GetItem", throttling(4))
    assert recorder.select_events(batch[0].originator_id) == batch
    assert recorder.max_notification_id() == 2
    assert (queries.remaining, gets.remaining) == (0, 0)


def test_read_throttled_beyond_the_attempts_raises_clearly() -> None:
    recorder = DynamoAggregateRecorder(fresh_table(max_attempts=2))
    inject(recorder.table, "Query", throttling(2))
    with pytest.raises(OperationalError, match=r"Query .* still throttled"):
        recorder.select_events(uuid4())


def test_transaction_conflicts_are_retried_until_the_save_lands() -> None:
    recorder = DynamoAggregateRecorder(fresh_table(transact_attempts=5))
    faults = inject(recorder.table, "TransactWriteItems", cancelled(4, "TransactionConflict"))
    batch = events(3)
    recorder.insert_events(batch)
    assert faults.remaining == 0
    assert recorder.select_events(batch[0].originator_id) == batch


@pytest.mark.parametrize(
    "reasons",
    [
        ("TransactionConflict", "TransactionConflict"),
        ("None", "ThrottlingError"),
        ("ProvisionedThroughputExceeded",),
    ],
)
def test_every_transient_cancellation_is_retried(reasons: tuple[str, ...]) -> None:
    recorder = DynamoAggregateRecorder(fresh_table(transact_attempts=3))
    inject(recorder.table, "TransactWriteItems", cancelled(2, *reasons))
    batch = events(2)
    recorder.insert_events(batch)
    assert recorder.select_events(batch[0].originator_id) == batch


def test_persistent_transaction_conflicts_raise_retryable_and_store_nothing() -> None:
    recorder = DynamoAggregateRecorder(fresh_table(transact_attempts=3))
    faults = inject(recorder.table, "TransactWriteItems", cancelled(4, "TransactionConflict"))
    batch = events(2)
    with pytest.raises(RetryableConflictError, match="after 3 attempts"):
        recorder.insert_events(batch)
    assert faults.remaining == 1
    assert recorder.select_events(batch[0].originator_id) == []


def test_conflicts_on_the_notification_counter_path_keep_ids_contiguous() -> None:
    table = fresh_table(transact_attempts=4)
    recorder = DynamoApplicationRecorder(table, notifications=True)
    assert recorder.insert_events(events(2)) == [1, 2]
    inject(table, "TransactWriteItems", cancelled(3, "None", "TransactionConflict"))
    assert recorder.insert_events(events(1)) == [3]
    log = recorder.select_notifications(start=None, limit=10)
    assert [n.id for n in log] == [1, 2, 3]


def test_a_taken_version_is_an_integrity_error() -> None:
    table = fresh_table()
    recorder, rival = DynamoAggregateRecorder(table), DynamoAggregateRecorder(table)
    first = events(1)[0]
    rival.insert_events([first])
    mine = StoredEvent(first.originator_id, 1, "topic", b"mine")
    with pytest.raises(IntegrityError):
        recorder.insert_events([mine])
    assert recorder.select_events(first.originator_id) == [first]


def test_a_failed_condition_beside_a_conflict_is_not_retried() -> None:
    recorder = DynamoAggregateRecorder(fresh_table(transact_attempts=5))
    # One try only: had transact sent it again, moto would have stored the events.
    inject(
        recorder.table,
        "TransactWriteItems",
        cancelled(1, "TransactionConflict", "ConditionalCheckFailed"),
    )
    batch = events(2)
    with pytest.raises(IntegrityError):
        recorder.insert_events(batch)
    assert recorder.select_events(batch[0].originator_id) == []


def test_a_cancellation_for_bad_data_is_not_retried() -> None:
    recorder = DynamoAggregateRecorder(fresh_table(transact_attempts=5))
    inject(recorder.table, "TransactWriteItems", cancelled(1, "ValidationError"))
    batch = events(1)
    with pytest.raises(OperationalError, match="ValidationError") as raised:
        recorder.insert_events(batch)
    assert not isinstance(raised.value, RetryableConflictError)
    assert recorder.select_events(batch[0].originator_id) == []
