"""The projector: DynamoDB Streams of the event table (``DYNAMODB_TABLE``, NEW_IMAGE) → views,
and the webhooks' fan-out (application/webhooks: one delivery job per message, to the queue).

Only the insert of an event item (``stream#<uuid>``) is projected; snapshots, tracking and
notification-log items pass as done. Records are applied in the batch's order (each stream's
events in version order, see ``application.projections.stream_feed``), one committed event
at a time. When one fails (a predecessor never delivered, a view conflict that outlasted its
retries, an unreadable image), it and every later record of the batch are reported: Lambda
resumes the shard from the lowest failed sequence number, and a repeat is a no-op.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from entrypoints.aws import runtime
from entrypoints.aws.runtime import logger

# The powertools logger's own standard logger: failed records are logged with tracebacks.
processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams,
    raise_on_entire_batch_failure=False,
    logger=logging.getLogger(logger.name),
)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Project a batch of stream records; answer the records to deliver again."""
    container = runtime.container()
    batch = container.stream_records().batch(event.get("Records") or [])
    webhooks = container.webhook_records()

    def record_handler(record: DynamoDBRecord) -> None:
        batch.project(str(record.dynamodb.sequence_number if record.dynamodb else ""))
        # Then its webhook messages, queued for the work function; a record delivered again
        # finds them recorded already (keyed by event and endpoint).
        webhooks(record.raw_event, datetime.now(UTC))

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
