"""The read model in its own DynamoDB table: one conditional transaction per commit, no scans.

Key schema: ``pk`` (S, partition) and ``sk`` (S, sort); a separate table from the event store's
(whose ``sk`` is a number). Three key spaces share it, told apart by the first character of the
stored ``pk`` (``pk`` and ``stream`` are the typed keys as ``layout`` spells them):

=========  =====================  ==============  =========================================
kind       stored ``pk``          stored ``sk``   attributes
=========  =====================  ==============  =========================================
item       ``"=" + pk``           ``"=" + sk``    ``data`` (S, JSON), ``rev`` (N)
counter    ``"#c#" + pk``         ``"=" + sk``    ``n`` (N), changed only with ``ADD``
position   ``"#t#" + stream``     ``"="``         ``version`` (N)
=========  =====================  ==============  =========================================

Every key is stored behind a one-character prefix, so:

* an item's ``pk`` always starts with ``=`` once stored and can never meet the ``#``-prefixed
  counter and position partitions, whatever its fields hold (even ``"#c#..."``);
* the empty sort key the projector uses for its per-stream meta items (DynamoDB refuses empty
  key attributes) is stored as ``"="``, and so is the empty partition key;
* order is kept: DynamoDB sorts strings by their UTF-8 bytes, which is code-point order, the
  order of Python's ``str`` and of SQLite's default collation; a common prefix changes nothing.

Data is stored as one JSON string rather than a DynamoDB map: any nesting survives, and floats,
empty strings and empty sets need none of DynamoDB's special cases. The prefix costs one byte of
DynamoDB's key limits (2,048 bytes for ``pk``, 1,024 for ``sk``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from adapters.readmodels import layout
from adapters.storage.dynamodb.client import LazyDynamoClient
from adapters.storage.dynamodb.table import create_table_if_missing
from adapters.storage.dynamodb.transactions import (
    MAX_TRANSACTION_ITEMS,
    TransactionContendedError,
    TransactionRefusedError,
    jittered_backoff,
    transact_write,
)
from application.projections.keys import USAGE, Partition, Position
from application.projections.store import (
    Batch,
    Item,
    ReadModel,
    ViewConflictError,
    prefix_range,
)

Attributes = dict[str, Any]

_ITEM = "="
_COUNTER = "#c#"
_POSITION = "#t#"
_SORT = "="  # prefix of every stored sort key; alone, the sort key of a position

# Re-sends of a transaction cancelled only by contention (not by a failed condition).
_TRANSACT_ATTEMPTS = 5
_BACKOFF_BASE = 0.02
_BACKOFF_CAP = 0.5
# BatchWriteItem's own limit, and how often clear() re-sends the deletes it left unprocessed
# (and get_many the reads).
_BATCH_WRITE_ITEMS = 25
_BATCH_GET_ITEMS = 100
_BATCH_WRITE_ATTEMPTS = 10


def _item_key(pk: Partition, sk: str) -> Attributes:
    return {"pk": {"S": _ITEM + layout.partition(pk)}, "sk": {"S": _SORT + sk}}


def _usage_counter(key: Attributes) -> bool:
    """Return whether a stored key is a usage counter's, which clearing keeps."""
    return bool(key["pk"]["S"].startswith(_COUNTER) and key["sk"]["S"].startswith(_SORT + USAGE))


def _counter_key(pk: Partition, sk: str) -> Attributes:
    return {"pk": {"S": _COUNTER + layout.partition(pk)}, "sk": {"S": _SORT + sk}}


def _position_key(key: Position) -> Attributes:
    return {"pk": {"S": _POSITION + layout.position(key)}, "sk": {"S": _SORT}}


def _backoff(attempt: int) -> None:
    """Wait a capped exponential time with full jitter, so colliding writers spread out."""
    time.sleep(jittered_backoff(attempt, _BACKOFF_BASE, _BACKOFF_CAP))


def _revision_condition(expected: int) -> tuple[str, Attributes]:
    """The condition that an item is at ``expected`` (0: absent; stored items start at 1)."""
    if expected == 0:
        return "attribute_not_exists(pk)", {}
    return "rev = :rev", {":rev": {"N": str(expected)}}


class DynamoReadModel(ReadModel):
    """Items, counters and stream positions in one DynamoDB table (see the module docstring).

    The boto3 client is created on first use (never at import or construction: boto3 costs
    ~180 ms to import), once, even when threads race for it. With ``create=True`` that first
    use also creates the table if it is missing (on-demand billing) and waits until it is
    active. Every read is strongly consistent.
    """

    # The most operations one commit may hold (DynamoDB's transaction limit), for callers that
    # write in chunks, such as a rebuild writing staged views.
    max_batch = MAX_TRANSACTION_ITEMS

    def __init__(
        self,
        table_name: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        create: bool = False,
    ) -> None:
        self.table_name = table_name
        self.region = region
        self.endpoint_url = endpoint_url
        self.create = create
        self._lazy = LazyDynamoClient(region, endpoint_url, prepare=self._create_if_missing)

    @property
    def client(self) -> Any:
        """The boto3 DynamoDB client (and the table, when ``create``), made on first use."""
        return self._lazy.get()

    def _create_if_missing(self, client: Any) -> None:
        if self.create:
            create_table_if_missing(client, self.table_name, sort_key_type="S")

    # Reads: GetItem, BatchGetItem and Query only.

    def get(self, pk: Partition, sk: str) -> Item | None:
        """Return one item, or None (one strongly consistent GetItem)."""
        response = self.client.get_item(
            TableName=self.table_name, Key=_item_key(pk, sk), ConsistentRead=True
        )
        found = response.get("Item")
        return self._item(pk, found) if found else None

    def get_many(self, pk: Partition, sks: Sequence[str]) -> list[Item]:
        """Return the items with these sort keys, in the order asked (strongly consistent
        BatchGetItem, 100 keys at a time; keys it leaves unprocessed are asked again)."""
        found: dict[str, Item] = {}
        wanted = list(dict.fromkeys(sks))
        for start in range(0, len(wanted), _BATCH_GET_ITEMS):
            keys = [_item_key(pk, sk) for sk in wanted[start : start + _BATCH_GET_ITEMS]]
            for attempt in range(_BATCH_WRITE_ATTEMPTS):
                if attempt:
                    _backoff(attempt)
                request = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table_name, []):
                    read = self._item(pk, item)
                    found[read.sk] = read
                keys = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys")
                if not keys:
                    break
            else:
                msg = f"DynamoDB left {len(keys)} reads unprocessed (throttled): read again"
                raise RuntimeError(msg)
        return [found[sk] for sk in sks if sk in found]

    def query(
        self,
        pk: Partition,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int = 50,
        descending: bool = False,
        prefix: str | None = None,
    ) -> list[Item]:
        """Return up to ``limit`` items with ``after < sk < before`` (starting with
        ``prefix``, if given), in order (one Query, paged).

        A key condition holds one comparison on ``sk``: a single bound is ``>``, ``>=`` or
        ``<``; two bounds are an inclusive BETWEEN whose excluded end items (if they exist)
        are dropped here, so each page asks for up to two more items than are still needed.
        """
        low, included, high = prefix_range(after, before, prefix)
        if limit <= 0 or (low is not None and high is not None and low >= high):
            # Nothing can match; DynamoDB also refuses a BETWEEN whose bounds are reversed.
            return []
        values: Attributes = {":pk": {"S": _ITEM + layout.partition(pk)}}
        condition = "pk = :pk"
        excluded: set[str] = set()
        if low is not None and high is not None:
            condition += " AND sk BETWEEN :low AND :high"
            excluded = {_SORT + high} | (set() if included else {_SORT + low})
        elif low is not None:
            condition += f" AND sk {'>=' if included else '>'} :low"
        elif high is not None:
            condition += " AND sk < :high"
        if low is not None:
            values[":low"] = {"S": _SORT + low}
        if high is not None:
            values[":high"] = {"S": _SORT + high}
        params: Attributes = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not descending,
            "ConsistentRead": True,
        }
        items: list[Item] = []
        for found in self._query(params, lambda: limit - len(items) + len(excluded)):
            if found["sk"]["S"] not in excluded:
                items.append(self._item(pk, found))
                if len(items) == limit:
                    break
        return items

    def counters(self, pk: Partition) -> dict[str, int]:
        """Return every counter of one partition (one Query of its counter partition)."""
        params: Attributes = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": _COUNTER + layout.partition(pk)}},
            "ConsistentRead": True,
        }
        return {
            found["sk"]["S"][len(_SORT) :]: int(found["n"]["N"]) for found in self._query(params)
        }

    def position(self, key: Position) -> int:
        """Return the version a stream or a log is projected up to (one GetItem)."""
        response = self.client.get_item(
            TableName=self.table_name, Key=_position_key(key), ConsistentRead=True
        )
        found = response.get("Item")
        return int(found["version"]["N"]) if found else 0

    def _query(
        self, params: Attributes, page: Callable[[], int] | None = None
    ) -> Iterator[Attributes]:
        """Yield a Query's items page after page; ``page()`` sizes the next page if given."""
        params = dict(params)
        while True:
            if page is not None:
                params["Limit"] = page()
            response = self.client.query(**params)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            params["ExclusiveStartKey"] = last

    @staticmethod
    def _item(pk: Partition, found: Attributes) -> Item:
        sk = found["sk"]["S"][len(_SORT) :]
        return Item(pk, sk, json.loads(found["data"]["S"]), int(found["rev"]["N"]))

    # Writes: one TransactWriteItems per commit.

    def commit(self, batch: Batch) -> None:
        """Write ``batch`` in ONE conditional TransactWriteItems, or nothing.

        Puts and deletes are conditional on the revision read (absent when 0), each stream's
        position on the version read; counters are unconditional ``ADD`` updates. A failed
        condition is a ViewConflictError at once. A cancellation only by contention or
        throttling is sent again (jittered backoff, a few times), then is a ViewConflictError.
        Any other refusal (e.g. an item over 400 KB) is raised as botocore reported it: sending
        it again would not help.

        A batch of more than 100 operations (DynamoDB's transaction limit) is a ValueError
        before anything is written. The projector commits one event per batch on DynamoDB,
        a handful of operations, far below it. Nor may a transaction touch one item twice:
        a batch's dicts hold each key once, and counters and positions have their own key
        spaces, so only a key both put and deleted is refused (a ValueError too).
        """
        if len(batch) > MAX_TRANSACTION_ITEMS:
            msg = (
                f"a DynamoDB transaction holds at most {MAX_TRANSACTION_ITEMS} operations; "
                f"this batch has {len(batch)}: commit fewer events at once"
            )
            raise ValueError(msg)
        both = batch.puts.keys() & batch.deletes.keys()
        if both:
            named = sorted((layout.partition(pk), sk) for pk, sk in both)
            msg = f"a batch both puts and deletes {named}"
            raise ValueError(msg)
        operations = self._operations(batch)
        if operations:
            self._transact(operations)

    def _operations(self, batch: Batch) -> list[Attributes]:
        operations: list[Attributes] = []
        for (pk, sk), (data, rev) in batch.puts.items():
            condition, values = _revision_condition(rev)
            item = {
                **_item_key(pk, sk),
                "data": {"S": json.dumps(data, separators=(",", ":"))},
                "rev": {"N": str(rev + 1)},
            }
            put: Attributes = {"TableName": self.table_name, "Item": item}
            operations.append({"Put": self._conditional(put, condition, values)})
        for (pk, sk), rev in batch.deletes.items():
            condition, values = _revision_condition(rev)
            delete: Attributes = {"TableName": self.table_name, "Key": _item_key(pk, sk)}
            operations.append({"Delete": self._conditional(delete, condition, values)})
        for (pk, sk), amount in batch.adds.items():
            update: Attributes = {
                "TableName": self.table_name,
                "Key": _counter_key(pk, sk),
                # ADD starts a missing counter at 0: no read, no condition, commutative.
                "UpdateExpression": "ADD n :d",
                "ExpressionAttributeValues": {":d": {"N": str(amount)}},
            }
            operations.append({"Update": update})
        for key, (expected, new) in batch.tracking.items():
            # A position stored as 0 counts as never projected, as in the other stores.
            condition = "version = :expected"
            if expected == 0:
                condition = "attribute_not_exists(pk) OR " + condition
            item = {**_position_key(key), "version": {"N": str(new)}}
            put = {"TableName": self.table_name, "Item": item}
            values = {":expected": {"N": str(expected)}}
            operations.append({"Put": self._conditional(put, condition, values)})
        return operations

    @staticmethod
    def _conditional(operation: Attributes, condition: str, values: Attributes) -> Attributes:
        operation["ConditionExpression"] = condition
        if values:
            operation["ExpressionAttributeValues"] = values
        return operation

    def _transact(self, operations: list[Attributes]) -> None:
        try:
            transact_write(self.client, operations, attempts=_TRANSACT_ATTEMPTS, pause=_backoff)
        except TransactionRefusedError as refused:
            if refused.failed_conditions:
                msg = "an item or a stream position changed since it was read"
                raise ViewConflictError(msg) from refused.error
            raise refused.error from None  # e.g. ValidationError: DynamoDB refused the data.
        except TransactionContendedError as contended:
            raise ViewConflictError(str(contended)) from None

    def clear(self) -> None:
        """Delete every view, counter and position: the one place this adapter scans.

        Meant for an explicit rebuild from scratch, with no projector writing meanwhile: the
        table holds nothing but this read model, so the whole of it is scanned (keys only)
        and deleted 25 items per BatchWriteItem.
        """
        client = self.client
        params: Attributes = {
            "TableName": self.table_name,
            "ProjectionExpression": "pk, sk",
            "ConsistentRead": True,
        }
        while True:
            response = client.scan(**params)
            keys = [
                {"pk": found["pk"], "sk": found["sk"]}
                for found in response.get("Items", [])
                if not _usage_counter(found)
            ]
            for start in range(0, len(keys), _BATCH_WRITE_ITEMS):
                chunk = keys[start : start + _BATCH_WRITE_ITEMS]
                self._delete_all([{"DeleteRequest": {"Key": key}} for key in chunk])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            params["ExclusiveStartKey"] = last

    def _delete_all(self, requests: list[Attributes]) -> None:
        for attempt in range(_BATCH_WRITE_ATTEMPTS):
            if attempt:
                _backoff(attempt)
            response = self.client.batch_write_item(RequestItems={self.table_name: requests})
            # Throttled requests come back unprocessed rather than as an error: send them again.
            requests = response.get("UnprocessedItems", {}).get(self.table_name, [])
            if not requests:
                return
        msg = (
            f"DynamoDB left {len(requests)} deletes unprocessed after "
            f"{_BATCH_WRITE_ATTEMPTS} attempts (throttled): clear() again to finish"
        )
        raise RuntimeError(msg)
