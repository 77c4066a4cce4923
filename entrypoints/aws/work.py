"""The sending worker: the SQS work queue (``SQS_URL``) → ``Outbound.work``, job by job.

Each record is one job (a roster page of an update or cancellation, or a part of a bulk
list). Jobs are idempotent, so a redelivered one serves nobody twice. A record fails alone
(partial batch response) and stays on the queue for redelivery, then the dead-letter queue:
when its job raises, when its body is not a job, and when SES still refused some sends for
now (throttling after SesMailer's own backoff) - those sends stay pending under their
Message-IDs and the redelivered job completes them, so a throttled send is late, never lost.

Announcements (``EVENT_UPDATED``, ``EVENT_CANCELLATION_REQUEST``…) reaching this queue are
acknowledged and do nothing: the ingest that announced a change had already published the
new version and queued its catch-up jobs (the service announces after it fans out), so acting
again would only be a second fan-out. Subscribing this queue to the topics is not needed.
"""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from entrypoints.aws import runtime
from entrypoints.aws.runtime import logger

# The powertools logger's own standard logger: failed records are logged with tracebacks.
processor = BatchProcessor(
    event_type=EventType.SQS,
    raise_on_entire_batch_failure=False,
    logger=logging.getLogger(logger.name),
)


class SendsPendingError(RuntimeError):
    """Some recipients of a job could not be sent to yet: deliver the job again later."""


def record_handler(record: SQSRecord) -> None:
    """Do the job in one record (or acknowledge an announcement); raise to keep it queued."""
    from datetime import UTC, datetime

    from application.ports import Job
    from application.send_types import SendOutcome

    logger.append_keys(message_id=record.message_id)
    container = runtime.container()
    work = container.work_reader()(record.body)
    if not isinstance(work, Job):
        logger.info("announcement acknowledged", kind=work.kind, invite=str(work.invite))
        return
    if work.kind == "webhook":
        # Done whatever the endpoint answered: a failed attempt queued the next one itself.
        attempt = container.webhooks().work(work.invite, datetime.now(UTC))
        status = attempt.status if attempt is not None else "nothing due"
        logger.info("webhook job done", webhook_message=str(work.invite), status=status)
        return
    results = container.outbound().work(work, now=datetime.now(UTC))
    # A send another worker claimed is pending too: if that worker died (a Lambda timed
    # out), only a redelivery of this job, once the claim lapses, completes it.
    unfinished = (SendOutcome.QUEUED, SendOutcome.CLAIMED_ELSEWHERE)
    pending = [r for r in results if r.outcome in unfinished]
    logger.info("job done", job=work.as_dict(), recipients=len(results), pending=len(pending))
    if pending:
        msg = f"{len(pending)} of {len(results)} sends pending ({pending[0].reason})"
        raise SendsPendingError(msg)


@logger.inject_lambda_context(correlation_id_path="Records[*].messageId", clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Work a batch of queued jobs; answer the records to deliver again."""
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
