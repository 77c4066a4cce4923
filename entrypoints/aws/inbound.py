"""Lambda: raw mail SES stored under ``inbound/<mailbox>/``, announced on SQS → ingest.

A record that cannot be processed (not a notification, an object outside the mailboxes'
prefixes or gone, ingest failing) is reported in ``batchItemFailures`` and comes back alone;
a record delivered twice is harmless, since ingest knows a message by its content.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from entrypoints.aws import runtime
from entrypoints.aws.batch import sqs_handler
from entrypoints.aws.runtime import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from adapters.aws.inbound_mail import InboundMail, Ingested
    from entrypoints.container import Container


def _record(record: SQSRecord) -> None:
    """Ingest the mail one SQS record announces."""
    for done in receive(record.body):
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


# Ingests the mail each SQS record announces; returns the records that failed.
handler = sqs_handler(_record, failure="inbound record failed")


def receive(body: str, *, now: datetime | None = None) -> list[Ingested]:
    """Process one inbound-queue record body exactly as the handler does (no logging)."""
    return inbound_mail().receive(body, now=now or datetime.now(UTC))


def _inbound_mail(current: Container) -> InboundMail:
    """The inbound-mail processor over ``current``'s service, bucket and mailboxes."""
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
    return InboundMail(service, mail, place)


# The inbound-mail processor of this process's container (made once per container).
inbound_mail = runtime.per_container(_inbound_mail)
