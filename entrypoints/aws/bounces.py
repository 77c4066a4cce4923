"""Lambda: SES bounce and complaint notifications (SNS → SQS) → the recipient's delivery.

A Permanent bounce or a complaint marks the delivery its VERP return path names as bounced,
so later versions skip that recipient; a transient bounce and a Delivery notification change
nothing. A record that cannot be read is reported in ``batchItemFailures``, alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from entrypoints.aws import runtime
from entrypoints.aws.batch import sqs_handler
from entrypoints.aws.runtime import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from application.inbound.delivery_notices import NoticeResult


def _record(record: SQSRecord) -> None:
    """Record one SES notification's bounce or complaint."""
    results = record_notification(record.body)
    if results is None:
        logger.info("ses notification needs nothing (not a bounce or complaint)")
    for result in results or ():
        # Neither the address nor the return path: the latter is a reply token's twin.
        logger.info(
            "ses notice",
            extra={
                "outcome": result.outcome.value,
                "invite": str(result.invite) if result.invite else None,
            },
        )


# Records each SES notification's bounce or complaint; returns the records that failed.
handler = sqs_handler(_record, failure="ses notification failed")


def record_notification(body: str, *, now: datetime | None = None) -> list[NoticeResult] | None:
    """Record what one bounce-queue record body reports; None when it reports nothing to do."""
    container = runtime.container()
    notice = container.notice_reader()(body)
    if notice is None:
        return None
    return container.inbound().record_delivery_notice(notice, now=now or datetime.now(UTC))
