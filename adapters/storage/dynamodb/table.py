"""One DynamoDB table shared by every recorder: lazy client, transactions, paged queries.

Key schema: ``pk`` (S, partition) and ``sk`` (N, sort). Each recorder owns a ``pk`` prefix
(``stream#``, ``snapshot#``, ``tracking#``, ``notification#``), so the key spaces never meet.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, OperationalError, ProgrammingError

from adapters.storage.dynamodb.client import LazyDynamoClient
from adapters.storage.dynamodb.transactions import (
    MAX_TRANSACTION_ITEMS,
    TRANSIENT_CANCELLATIONS,
    TransactionContendedError,
    TransactionRefusedError,
    jittered_backoff,
    transact_write,
)

__all__ = ["MAX_TRANSACTION_ITEMS", "TRANSIENT_CANCELLATIONS"]  # re-exported for callers

Item = dict[str, Any]

# Error codes botocore's standard mode retries as throttling; still seeing one means it gave up.
THROTTLING_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
    }
)


class TransactionTooLargeError(ProgrammingError):
    """A save needs more items than one DynamoDB transaction can hold."""


class RetryableConflictError(OperationalError):
    """Only the notification counter moved, or a concurrent transaction collided: retry."""


class DynamoTable:
    """Holds the table name and a boto3 client created on first use, once.

    ``max_attempts`` bounds botocore's own tries per request (throttling, 5xx);
    ``transact_attempts`` bounds the re-sends of a transaction cancelled only by contention,
    ``sleep`` waits between those re-sends (tests pass a no-op).
    """

    def __init__(
        self,
        name: str,
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        max_attempts: int = 10,
        transact_attempts: int = 5,
        backoff_base: float = 0.05,
        backoff_cap: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1 or transact_attempts < 1:
            msg = "max_attempts and transact_attempts must be at least 1"
            raise ValueError(msg)
        self.name = name
        self.region = region
        self.endpoint_url = endpoint_url
        self.max_attempts = max_attempts
        self.transact_attempts = transact_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._lazy = LazyDynamoClient(region, endpoint_url, max_attempts=max_attempts)

    @property
    def client(self) -> Any:
        """The boto3 DynamoDB client, created lazily so importing costs nothing."""
        return self._lazy.get()

    @property
    def _client(self) -> Any:
        """The client if made already, else None: constructing makes no AWS call."""
        return self._lazy.made

    @contextlib.contextmanager
    def throttling_as_operational_error(self, operation: str) -> Iterator[None]:
        """Turn throttling that outlasted botocore's retries into an OperationalError.

        Not a RetryableConflictError: a caller that loops on those would only add load to a
        table that is already refusing it.
        """
        client = self.client
        try:
            yield
        except client.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            if code not in THROTTLING_ERRORS:
                raise
            msg = (
                f"DynamoDB {operation} on table {self.name!r} still throttled ({code}) after "
                f"up to {self.max_attempts} attempts: {e}"
            )
            raise OperationalError(msg) from e

    def backoff(self, attempt: int) -> float:
        """Capped exponential backoff with full jitter, so colliding writers spread out."""
        return jittered_backoff(attempt, self.backoff_base, self.backoff_cap)

    def create_if_missing(self) -> None:
        """Create the table (on-demand billing) unless it exists already."""
        create_table_if_missing(self.client, self.name, sort_key_type="N")

    def transact(self, operations: Sequence[Item], retryable: Collection[int] = ()) -> None:
        """Write all operations in ONE TransactWriteItems, or nothing; map conflicts.

        A taken version (a failed condition outside ``retryable``) is an IntegrityError at
        once. A failed condition only on ``retryable`` items is a RetryableConflictError at
        once: the caller must rebuild the items. A cancellation by contention or throttling
        alone is sent again here, and becomes a RetryableConflictError if it persists.
        """
        if not operations:
            return
        if len(operations) > MAX_TRANSACTION_ITEMS:
            msg = (
                f"DynamoDB transactions hold at most {MAX_TRANSACTION_ITEMS} items; "
                f"this save needs {len(operations)}: save fewer events at once"
            )
            raise TransactionTooLargeError(msg)
        try:
            with self.throttling_as_operational_error("TransactWriteItems"):
                transact_write(
                    self.client,
                    operations,
                    attempts=self.transact_attempts,
                    pause=lambda n: self._sleep(self.backoff(n - 1)),
                )
        except TransactionRefusedError as refused:
            e = refused.error
            failed = refused.failed_conditions
            if failed - set(retryable):
                raise IntegrityError(str(e)) from e
            if failed:
                # Only items numbered from a stale counter failed: sending the same items
                # again cannot succeed, the caller must re-read the counter.
                raise RetryableConflictError(str(e)) from e
            # e.g. ValidationError: DynamoDB refused the data itself; a retry would too.
            msg = f"DynamoDB cancelled the transaction ({', '.join(refused.refusals)}): {e}"
            raise OperationalError(msg) from e
        except TransactionContendedError as contended:
            raise RetryableConflictError(str(contended)) from None

    def put(self, item: Item, *, condition: str | None = None) -> Item:
        """A Put operation for ``transact``, conditional when asked."""
        put: Item = {"TableName": self.name, "Item": item}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}

    def get(self, pk: str, sk: int) -> Item | None:
        """Read one item with a strongly consistent GetItem."""
        with self.throttling_as_operational_error("GetItem"):
            response = self.client.get_item(
                TableName=self.name, Key=key(pk, sk), ConsistentRead=True
            )
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
            with self.throttling_as_operational_error("Query"):
                response = self.client.query(**params)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            params["ExclusiveStartKey"] = last


def key(pk: str, sk: int) -> Item:
    """The typed primary key of an item."""
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def create_table_if_missing(client: Any, name: str, *, sort_key_type: str) -> None:
    """Create a ``pk`` (S) / ``sk`` table with on-demand billing unless it exists; wait for it."""
    try:
        client.describe_table(TableName=name)
    except client.exceptions.ResourceNotFoundException:
        # Another process may create it between our two calls.
        with contextlib.suppress(client.exceptions.ResourceInUseException):
            client.create_table(
                TableName=name,
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": sort_key_type},
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
