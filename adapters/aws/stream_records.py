"""DynamoDB Streams records of the event table, read back as eventsourcing StoredEvents.

The event table holds more than events (``adapters.storage.dynamodb``): snapshots
(``snapshot#``), projection tracking (``tracking#``) and, when switched on, the notification
log and its counter (``notification#``). Only the insert of an event item (``stream#<uuid>``,
``sk`` its version) is an event; every other record reads as None.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from adapters.storage.dynamodb.events import prefix_for
from application.projections.stream_feed import StreamBatch, StreamFeed

Record = Mapping[str, Any]

_STREAM = prefix_for("events") + "#"


class StreamRecords:
    """Lambda's batches of the event table's stream records, projected through a feed."""

    def __init__(self, feed: StreamFeed) -> None:
        self.feed = feed

    def batch(self, records: Sequence[Record]) -> StreamBatch[Record]:
        """Return one delivered batch, each record named by its sequence number."""
        return self.feed.batch(records, stored_event, sequence_number)


def sequence_number(record: Record) -> str:
    """Return the record's sequence number (its identity in a batch's failures)."""
    return str(record["dynamodb"]["SequenceNumber"])


def stored_event(record: Record) -> StoredEvent | None:
    """Return the event a record inserted, or None for any other item or change.

    ``record`` is a Lambda record (binary values base64-encoded) or one returned by
    ``GetRecords`` through boto3 (binary values already bytes). Raise ValueError, saying
    what is missing, for an event insert that cannot be read (e.g. a stream without images).
    """
    change = record.get("dynamodb") or {}
    pk = str((change.get("Keys") or {}).get("pk", {}).get("S", ""))
    if record.get("eventName") != "INSERT" or not pk.startswith(_STREAM):
        return None
    image = change.get("NewImage")
    if not image:
        msg = (
            f"the stream record of {pk} carries no NewImage: the event table's stream must "
            "have StreamViewType NEW_IMAGE (or NEW_AND_OLD_IMAGES)"
        )
        raise ValueError(msg)
    try:
        return StoredEvent(
            originator_id=UUID(pk.removeprefix(_STREAM)),
            originator_version=int(image["sk"]["N"]),
            topic=str(image["topic"]["S"]),
            state=_binary(image["state"]["B"]),
        )
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        msg = f"the stream record of {pk} is not an event item ({type(error).__name__}: {error})"
        raise ValueError(msg) from error


def _binary(value: str | bytes) -> bytes:
    # Lambda delivers DynamoDB binary values in base64; boto3 has decoded them already.
    if isinstance(value, bytes):
        return value
    return base64.b64decode(value, validate=True)
