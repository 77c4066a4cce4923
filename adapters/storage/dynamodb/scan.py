"""Every stored event of the event table, read by a parallel Scan (``cis aws replay``).

The notification log is opt-in on DynamoDB (see ``application``), so rebuilding the views
from scratch has no ordered log to read: it scans the table instead, in ``segments`` parts
at once (Segment / TotalSegments, one thread each), and keeps only aggregate events
(``stream#`` items): snapshots, tracking heads and the notification log share the table.
A Scan returns items in no global order; the caller orders each stream by version. This is
a recovery tool, never on the ingest or projection path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from adapters.storage.dynamodb.table import DynamoTable, Item

STREAM_PREFIX = "stream#"
# DynamoDB's own bound on TotalSegments; far more threads than any machine wants anyway.
MAX_SEGMENTS = 1_000_000

Progress = Callable[[int], None]


class ScanStoppedError(RuntimeError):
    """Another segment failed, so this one stopped early (its own error is the other's)."""


def scan_events(
    table: DynamoTable, segments: int = 4, progress: Progress | None = None
) -> list[StoredEvent]:
    """Return every aggregate event in the table, in no particular order.

    ``progress`` is called (from the scanning threads) with the number of events each page
    brought. Reads are strongly consistent. If one segment fails, the others stop at their
    next page and the first failure is raised.
    """
    if not 1 <= segments <= MAX_SEGMENTS:
        msg = f"segments must be between 1 and {MAX_SEGMENTS}, not {segments}"
        raise ValueError(msg)
    stop = threading.Event()

    def scan(segment: int) -> list[StoredEvent]:
        try:
            return _scan_segment(table, segment, segments, stop, progress)
        except BaseException:
            stop.set()
            raise

    with ThreadPoolExecutor(max_workers=segments, thread_name_prefix="scan") as pool:
        futures = [pool.submit(scan, segment) for segment in range(segments)]
    errors = [error for future in futures if (error := future.exception()) is not None]
    if errors:
        # The segment that failed first, not one that only stopped because of it.
        raise next((e for e in errors if not isinstance(e, ScanStoppedError)), errors[0])
    return [event for future in futures for event in future.result()]


def _scan_segment(
    table: DynamoTable,
    segment: int,
    segments: int,
    stop: threading.Event,
    progress: Progress | None,
) -> list[StoredEvent]:
    params: Item = {
        "TableName": table.name,
        "Segment": segment,
        "TotalSegments": segments,
        "ConsistentRead": True,
        # Filtering still reads (and bills) the other items, but never ships them here.
        "FilterExpression": "begins_with(pk, :stream)",
        "ProjectionExpression": "pk, sk, #topic, #state",
        "ExpressionAttributeNames": {"#topic": "topic", "#state": "state"},
        "ExpressionAttributeValues": {":stream": {"S": STREAM_PREFIX}},
    }
    found: list[StoredEvent] = []
    while True:
        if stop.is_set():
            raise ScanStoppedError(f"segment {segment} stopped: another segment failed")
        with table.throttling_as_operational_error("Scan"):
            response = table.client.scan(**params)
        page = [stored_event(item) for item in response.get("Items", [])]
        found.extend(page)
        if progress is not None and page:
            progress(len(page))
        last = response.get("LastEvaluatedKey")
        if not last:
            return found
        params["ExclusiveStartKey"] = last


def stored_event(item: Item) -> StoredEvent:
    """Rebuild a stored event from its ``stream#<originator id>`` item."""
    name = item["pk"]["S"].removeprefix(STREAM_PREFIX)
    try:
        originator_id: UUID | str = UUID(name)
    except ValueError:
        originator_id = name  # an application may name streams by string; keep it as stored
    return StoredEvent(
        originator_id=originator_id,
        originator_version=int(item["sk"]["N"]),
        topic=item["topic"]["S"],
        state=bytes(item["state"]["B"]),
    )
