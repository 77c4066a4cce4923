"""What the work queue carries: sending jobs, and (if subscribed) the service's announcements.

A job is ``Job.as_dict()`` as JSON (``SqsWorkQueue.put``). An announcement is
``Announcement.as_dict()`` as JSON, published on an SNS topic (``SnsAnnouncer``): a queue
subscribed to that topic receives it inside SNS's envelope (``{"Type": "Notification",
"Message": "<json>", …}``), or bare with raw message delivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from adapters.queues.sqs import read_job
from application.ports import Job

_ANNOUNCED = frozenset({"created", "updated", "cancelled"})


@dataclass(frozen=True)
class Announced:
    """An announcement of a change to an invite, as it reached the work queue."""

    kind: str
    invite: UUID
    sequence: int
    topic: str | None = None


def read_work(body: str) -> Job | Announced:
    """Return the job or the announcement in an SQS message body.

    Raise ValueError saying what is wrong with anything else: such a message can never be
    done, so it is reported, delivered again and finally moved to the dead-letter queue.
    """
    data = _json(body, "the message")
    topic: str | None = None
    if data.get("Type") == "Notification" and isinstance(data.get("Message"), str):
        topic = str(data.get("TopicArn") or "") or None
        data = _json(data["Message"], "the SNS notification's Message")
    if data.get("kind") in _ANNOUNCED:
        return _announced(data, topic)
    if topic is not None:
        raise ValueError(f"an SNS notification from {topic} that is not an announcement")
    job, problem = read_job(body)
    if job is None:
        raise ValueError(f"not a sending job: {problem}")
    return job


def _json(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{what} is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise ValueError(f"{what} is not a JSON object")
    return data


def _announced(data: dict[str, Any], topic: str | None) -> Announced:
    try:
        return Announced(
            kind=str(data["kind"]),
            invite=UUID(str(data["invite"])),
            sequence=int(data.get("sequence") or 0),
            topic=topic,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"a malformed {data.get('kind')} announcement: {error}") from error
