"""The SQS handler skeleton: each record alone, failures reported in ``batchItemFailures``.

A module apart from ``runtime`` so that the HTTP function does not import the batch utilities.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from entrypoints.aws.runtime import logger

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def sqs_handler(handle: Callable[[SQSRecord], None], *, failure: str) -> Handler:
    """A Lambda handler that runs ``handle`` on each SQS record and reports those that raise.

    Each record is logged under its own message id as correlation id (one call carries up to
    ten). A record that raises is logged as ``failure`` with its traceback and comes back to
    the queue alone (then, after its retries, goes to the DLQ); the rest of the batch is done.
    """
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    # powertools passes the record by keyword: the parameter must be named ``record``.
    def each(record: SQSRecord) -> None:
        logger.set_correlation_id(record.message_id)
        try:
            handle(record)
        except Exception:
            logger.exception(failure, extra={"sqs_message": record.message_id})
            raise

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return dict(process_partial_response(event, each, processor, context))

    return handler
