"""Lambda: raw mail SES stored under ``inbound/<mailbox>/``, announced on SQS → ingest.

A record that cannot be processed (not a notification, an object outside the mailboxes'
prefixes or gone, ingest failing) is reported in ``batchItemFailures`` and comes back alone;
a record delivered twice is harmless, since ingest knows a message by its content.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from entrypoints.aws import runtime
from entrypoints.aws.runtime import logger

if TYPE_CHECKING:
    from adapters.aws.inbound_mail import InboundMail, Ingested
    from entrypoints.container import Container

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
_wired: tuple[Container, InboundMail] | None = None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Ingest the mail each SQS record announces; return the records that failed."""
    return dict(process_partial_response(event, _record, processor, context))


def _record(record: SQSRecord) -> None:
    # One Lambda call carries up to ten messages: each is its own correlation id.
    logger.set_correlation_id(record.message_id)
    try:
        arrived = receive(record.body)
    except Exception:
        # The record goes back to the queue (and, after its retries, to the DLQ) on its own.
        logger.exception("inbound record failed", extra={"sqs_message": record.message_id})
        raise
    for done in arrived:
        result = done.result
        logger.info(
            "arrival",
            extra={
                "outcome": result.outcome.value,
                "invite": str(result.invite) if result.invite else None,
                "key": done.key,
                "mailbox": done.mailbox,
                "method": result.method,
                "digest": result.message,
            },
        )


def receive(body: str, *, now: datetime | None = None) -> list[Ingested]:
    """Process one inbound-queue record body exactly as the handler does (no logging)."""
    return inbound_mail().receive(body, now=now or datetime.now(UTC))


def inbound_mail() -> InboundMail:
    """Return the inbound-mail processor of this process's container (made once per container)."""
    global _wired
    current = runtime.container()
    if _wired is None or _wired[0] is not current:
        from adapters.aws.inbound_mail import InboundMail, S3Mail
        from adapters.aws.mail_events import Place

        settings = current.settings()
        service = current.service()
        boxes = service.mailboxes
        known = {boxes.create, boxes.rsvp, boxes.bulk}
        if service.outbound is not None:
            # DSNs mailed to the VERP address, when a receipt rule keeps them.
            known.add(service.outbound.bounce_mailbox)
        place = Place(settings.mail_bucket, settings.mail_domain, frozenset(known))
        mail = S3Mail(settings.mail_bucket, region=settings.region)
        _wired = (current, InboundMail(service, mail, place))
    return _wired[1]
