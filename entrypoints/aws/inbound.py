"""Lambda: raw mail SES stored under ``inbound/<mailbox>/``, announced on SQS → ingest.

A record that cannot be processed (not a notification, an object outside the mailboxes'
prefixes or gone, ingest failing) is reported in ``batchItemFailures`` and comes back alone;
a record delivered twice is harmless, since ingest knows a message by its content.
The organizer's notice goes out before the record is acknowledged, as the container wires it
unless background work is started: a frozen Lambda process could not send from a thread, and
a work-queue job would cost an SQS put (the same round trip as SES's SendEmail) and another
invocation; SES queues the mail itself, and a throttled notice is kept for the retry rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from entrypoints.aws import runtime
from entrypoints.aws.batch import sqs_handler
from entrypoints.aws.runtime import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from application.results import IngestResult


class Arrived(Protocol):
    """One arrival's outcome as it is reported: which object, which mailbox, what it became."""

    @property
    def key(self) -> str: ...

    @property
    def mailbox(self) -> str: ...

    @property
    def result(self) -> IngestResult: ...


class MailIntake(Protocol):
    """What ingests the mail an inbound-queue record body announces (the container's)."""

    def receive(self, body: str, *, now: datetime) -> Sequence[Arrived]: ...


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


def receive(body: str, *, now: datetime | None = None) -> list[Arrived]:
    """Process one inbound-queue record body exactly as the handler does (no logging)."""
    return list(inbound_mail().receive(body, now=now or datetime.now(UTC)))


def inbound_mail() -> MailIntake:
    """The inbound-mail processor of this process's container (made once per container)."""
    intake: MailIntake = runtime.container().inbound_mail()
    return intake
