"""The work queue on Amazon SQS (``SQS_URL``): JSON job bodies, sent in batches of ten."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from adapters.aws.clients import LazyClient
from application.ports import Job, Received, WorkQueue

# SQS's own limits: ten entries per batch call, twenty seconds of long polling.
_BATCH = 10
_LONGEST_WAIT = 20


class SqsWorkQueue(WorkQueue):
    """Sends and receives jobs on one queue; the boto3 client is made on first use, once."""

    def __init__(
        self,
        url: str,
        *,
        region: str | None = None,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.url = url
        self.region = region
        # Made on first use: a process that never queues never pays for boto3.
        self._client = LazyClient.of("sqs", region, client_factory)

    def _sqs(self) -> Any:
        return self._client.get()

    def put(self, jobs: Sequence[Job]) -> None:
        """Send every job; raise naming the first refused entry (SQS reports them per entry)."""
        for start in range(0, len(jobs), _BATCH):
            batch = jobs[start : start + _BATCH]
            entries = [
                {"Id": str(number), "MessageBody": json.dumps(job.as_dict())}
                | ({"DelaySeconds": min(job.delay, 900)} if job.delay > 0 else {})
                for number, job in enumerate(batch)
            ]
            response = self._sqs().send_message_batch(QueueUrl=self.url, Entries=entries)
            failed = response.get("Failed") or []
            if failed:
                first = failed[0]
                msg = (
                    f"SQS refused {len(failed)} of {len(batch)} jobs: "
                    f"{first.get('Code')}: {first.get('Message')}"
                )
                raise RuntimeError(msg)

    def receive(self, limit: int = 10, wait: float = 0) -> list[Received]:
        """Long-poll for up to ``limit`` (at most ten) jobs."""
        response = self._sqs().receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max(1, min(limit, _BATCH)),
            WaitTimeSeconds=max(0, min(round(wait), _LONGEST_WAIT)),
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [_received(message) for message in response.get("Messages", [])]

    def done(self, received: Received) -> None:
        """Delete the message."""
        self._sqs().delete_message(QueueUrl=self.url, ReceiptHandle=received.handle)


def _received(message: dict[str, Any]) -> Received:
    handle = message["ReceiptHandle"]
    count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    return Received(handle, *read_job(message.get("Body", "")), deliveries=count)


def read_job(body: str) -> tuple[Job | None, str | None]:
    """Return the job in a queue message body, or why there is none."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as error:
        return None, f"not JSON: {error}"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    try:
        return Job.from_dict(data), None
    except ValueError as error:
        return None, str(error)
