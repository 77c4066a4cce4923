"""One DynamoDB table shared by every recorder: lazy client, transactions, paged queries.

Key schema: ``pk`` (S, partition) and ``sk`` (N, sort). Each recorder owns a ``pk`` prefix
(``stream#``, ``snapshot#``, ``tracking#``, ``notification#``), so the key spaces never meet.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, OperationalError, ProgrammingError

# DynamoDB's hard limit on the number of items in one TransactWriteItems call.
MAX_TRANSACTION_ITEMS = 100

Item = dict[str, Any]


class TransactionTooLargeError(ProgrammingError):
    """A save needs more items than one DynamoDB transaction can hold."""


class RetryableConflictError(OperationalError):
    """Only the notification counter moved, or a concurrent transaction collided: retry."""


class DynamoTable:
    """Holds the table name and a boto3 client created on first use, once."""

    def __init__(
        self, name: str, region: str | None = None, endpoint_url: str | None = None
    ) -> None:
        self.name = name
        self.region = region
        self.endpoint_url = endpoint_url
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 DynamoDB client, created lazily so importing costs nothing."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3  # Imported here: ~180 ms kept off every import path.

                    session = boto3.session.Session()
                    self._client = session.client(
                        "dynamodb", region_name=self.region, endpoint_url=self.endpoint_url
                    )
        return self._client

    def create_if_missing(self) -> None:
        """Create the table (on-demand billing) unless it exists already."""
        client = self.client
        try:
            client.describe_table(TableName=self.name)
        except client.exceptions.ResourceNotFoundException:
            # Another process may create it between our two calls.
            with contextlib.suppress(client.exceptions.ResourceInUseException):
                client.create_table(
                    TableName=self.name,
                    AttributeDefinitions=[
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "N"},
                    ],
                    KeySchema=[
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    BillingMode="PAY_PER_REQUEST",
                )
            client.get_waiter("table_exists").wait(
                TableName=self.name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
            )

    def transact(self, operations: Sequence[Item], retryable: Collection[int] = ()) -> None:
        """Write all operations in ONE TransactWriteItems, or nothing; map conflicts."""
        if not operations:
            return
        if len(operations) > MAX_TRANSACTION_ITEMS:
            msg = (
                f"DynamoDB transactions hold at most {MAX_TRANSACTION_ITEMS} items; "
                f"this save needs {len(operations)}: save fewer events at once"
            )
            raise TransactionTooLargeError(msg)
        client = self.client
        try:
            client.transact_write_items(TransactItems=list(operations))
        except client.exceptions.TransactionCanceledException as e:
            reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
            failed = {i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
            if failed - set(retryable):
                raise IntegrityError(str(e)) from e
            # Only items numbered from a stale counter failed, or transactions collided.
            raise RetryableConflictError(str(e)) from e

    def put(self, item: Item, *, condition: str | None = None) -> Item:
        """A Put operation for ``transact``, conditional when asked."""
        put: Item = {"TableName": self.name, "Item": item}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}

    def get(self, pk: str, sk: int) -> Item | None:
        """Read one item with a strongly consistent GetItem."""
        response = self.client.get_item(TableName=self.name, Key=key(pk, sk), ConsistentRead=True)
        item: Item | None = response.get("Item")
        return item

    def query(
        self,
        pk: str,
        sk_condition: str = "",
        values: Item | None = None,
        *,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[Item]:
        """Yield one partition's items in sort order (strongly consistent), paging as needed."""
        params: Item = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk" + (f" AND {sk_condition}" if sk_condition else ""),
            "ExpressionAttributeValues": {":pk": {"S": pk}, **(values or {})},
            "ScanIndexForward": not desc,
            "ConsistentRead": True,
        }
        if limit is not None:
            params["Limit"] = limit
        while True:
            response = self.client.query(**params)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            params["ExclusiveStartKey"] = last


def key(pk: str, sk: int) -> Item:
    """The typed primary key of an item."""
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}
