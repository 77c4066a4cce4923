"""The shared TransactWriteItems helper under moto: what it sends again and what it does not.

Conflicts are real (moto evaluates the condition); contention and throttling cancellations,
which moto never produces, are injected on the real client as in test_dynamodb_throttling.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from adapters.storage.dynamodb.client import LazyDynamoClient
from adapters.storage.dynamodb.table import create_table_if_missing
from adapters.storage.dynamodb.transactions import (
    TransactionContendedError,
    TransactionRefusedError,
    transact_write,
)
from tests.integration.test_dynamodb_throttling import Faults

pytestmark = pytest.mark.usefixtures("aws")


class Table:
    """A new table, its client, and the re-sends the helper paused before."""

    def __init__(self) -> None:
        self.name = f"tx-{uuid4().hex[:10]}"
        self.client = LazyDynamoClient("us-east-1", None, prepare=self._create).get()
        self.pauses: list[int] = []

    def _create(self, client: Any) -> None:
        create_table_if_missing(client, self.name, sort_key_type="N")

    def put_new(self, pk: str) -> dict[str, Any]:
        item = {"pk": {"S": pk}, "sk": {"N": "1"}}
        condition = "attribute_not_exists(pk)"
        return {"Put": {"TableName": self.name, "Item": item, "ConditionExpression": condition}}

    def write(self, *operations: dict[str, Any], attempts: int = 5) -> None:
        transact_write(self.client, operations, attempts=attempts, pause=self.pauses.append)

    def has(self, pk: str) -> bool:
        key = {"pk": {"S": pk}, "sk": {"N": "1"}}
        return "Item" in self.client.get_item(TableName=self.name, Key=key, ConsistentRead=True)

    def cancel_next(self, count: int, *reasons: str) -> Faults:
        faults = Faults("TransactionCanceledException", count, reasons=list(reasons))
        self.client.meta.events.register("before-send.dynamodb.TransactWriteItems", faults)
        return faults


def test_a_failed_condition_is_refused_at_once_naming_the_item() -> None:
    table = Table()
    table.write(table.put_new("taken"))

    with pytest.raises(TransactionRefusedError) as refused:
        table.write(table.put_new("free"), table.put_new("taken"))

    assert refused.value.failed_conditions == {1}
    assert refused.value.refusals == []
    assert table.pauses == []  # sending it again could not succeed
    assert not table.has("free")


def test_a_throttled_cancellation_is_sent_again_until_it_lands() -> None:
    table = Table()
    faults = table.cancel_next(2, "ThrottlingError")

    table.write(table.put_new("a"), table.put_new("b"))

    assert faults.remaining == 0
    assert table.pauses == [1, 2]
    assert table.has("a")
    assert table.has("b")


def test_contention_outlasting_the_attempts_is_contended_and_writes_nothing() -> None:
    table = Table()
    table.cancel_next(3, "None", "TransactionConflict")

    with pytest.raises(TransactionContendedError, match="after 3 attempts"):
        table.write(table.put_new("a"), table.put_new("b"), attempts=3)

    assert table.pauses == [1, 2]
    assert not table.has("a")


def test_data_dynamodb_refuses_is_not_sent_again() -> None:
    table = Table()
    faults = table.cancel_next(2, "ValidationError")

    with pytest.raises(TransactionRefusedError) as refused:
        table.write(table.put_new("a"))

    assert refused.value.refusals == ["ValidationError"]
    assert refused.value.failed_conditions == set()
    assert faults.remaining == 1
    assert table.pauses == []
