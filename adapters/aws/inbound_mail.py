"""Raw mail that SES received, read from the mail bucket and handed to ingest.

The same path serves the inbound Lambda (one SQS record body at a time) and ``cis aws
redrive`` (objects listed under ``inbound/<mailbox>/``, or bodies left in a dead-letter
queue). boto3 clients are made on first use, once per reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from adapters.aws.clients import LazyClient
from adapters.aws.mail_events import (
    INBOUND,
    Arrival,
    Place,
    arrival_at,
    arrivals_in,
    envelope_sender,
    header_recipients,
    is_setup_object,
)
from adapters.storage.blob_files import content_key
from application.results import IngestResult

if TYPE_CHECKING:
    from application.inbound.front_door import Inbound

_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
# SQS's own limits: ten messages per receive, twenty seconds of long polling.
_BATCH = 10
_LONGEST_WAIT = 20


class MissingMailError(LookupError):
    """A notification named an object the mail bucket does not hold."""


@dataclass(frozen=True)
class Ingested:
    """One arrival's outcome: which object, which mailbox, for whom, and what it became."""

    key: str
    mailbox: str
    envelope_to: str
    result: IngestResult


class S3Mail:
    """Reads and lists the raw mail SES stored under ``inbound/`` in the mail bucket."""

    def __init__(
        self,
        bucket: str,
        *,
        region: str | None = None,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.bucket = bucket
        self._s3 = LazyClient.of("s3", region, client_factory).get

    def read(self, key: str) -> bytes:
        """Return the object's bytes; raise MissingMailError if there is no such object."""
        from botocore.exceptions import ClientError

        try:
            response = self._s3().get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code", "")) in _MISSING:
                msg = f"s3://{self.bucket}/{key} does not exist (deleted since it arrived?)"
                raise MissingMailError(msg) from None
            raise
        data: bytes = response["Body"].read()
        return data

    def keys(self, mailboxes: Iterable[str], *, since: datetime | None = None) -> list[str]:
        """Return the keys under each ``inbound/<mailbox>/``, oldest first, from ``since`` on."""
        pages = self._s3().get_paginator("list_objects_v2")
        found: list[tuple[datetime, str]] = []
        for mailbox in mailboxes:
            for page in pages.paginate(Bucket=self.bucket, Prefix=f"{INBOUND}{mailbox}/"):
                for item in page.get("Contents", []):
                    modified: datetime = item["LastModified"]
                    if (since is None or modified >= since) and not is_setup_object(item["Key"]):
                        found.append((modified, item["Key"]))
        # Arrival order matters: an update ingested before its invite would be refused.
        return [key for _, key in sorted(found)]


class InboundMail:
    """Turns arrivals into ingest calls, one per envelope recipient, as the drop box does."""

    def __init__(self, inbound: Inbound, mail: S3Mail, place: Place) -> None:
        self.inbound = inbound
        self.mail = mail
        self.place = place

    @classmethod
    def of(
        cls,
        inbound: Inbound,
        *,
        bucket: str,
        domain: str,
        region: str | None = None,
        client_factory: Callable[[], Any] | None = None,
    ) -> InboundMail:
        """The processor of the mail ``bucket`` keeps for ``inbound``'s mailboxes on ``domain``."""
        boxes = inbound.mailboxes
        # With the bounce mailbox: DSNs mailed to the VERP address, when a receipt rule keeps them.
        known = {boxes.create, boxes.rsvp, boxes.bulk, inbound.outbound.bounce_mailbox}
        mail = S3Mail(bucket, region=region, client_factory=client_factory)
        return cls(inbound, mail, Place(bucket, domain, frozenset(known)))

    def receive(self, body: str, *, now: datetime) -> list[Ingested]:
        """Ingest everything one inbound-queue record body announces."""
        return [
            done
            for arrival in arrivals_in(body, self.place)
            for done in self.ingest(arrival, now=now)
        ]

    def ingest_key(self, key: str, *, now: datetime) -> list[Ingested]:
        """Ingest the object at ``key`` as a bare S3 notification of it would."""
        return self.ingest(arrival_at(key, self.place, bucket=self.mail.bucket), now=now)

    def ingest_as_first(self, key: str, *, now: datetime) -> list[Ingested]:
        """Ingest the object at ``key`` again as it first arrived: with the envelope kept
        with its message then (recipient, sender, time received), else as ``ingest_key``.

        SES's notification named the recipient (``bulk@``, ``rsvp+TOKEN@``), often in no
        header; without the kept envelope, the headers are all there is.
        """
        arrival = arrival_at(key, self.place, bucket=self.mail.bucket)
        kept = self.inbound.blobs.envelope(content_key(self.mail.read(key)))
        if kept is None or kept.to is None:
            return self.ingest(arrival, now=now)
        sender = kept.sender or arrival.sender
        arrival = replace(arrival, recipients=(kept.to,), sender=sender)
        return self.ingest(arrival, now=kept.received or now)

    def ingest(self, arrival: Arrival, *, now: datetime) -> list[Ingested]:
        """Read the arrival's raw mail and ingest it for each of its recipients.

        Without recipients from SES the message's own headers say which address of the
        mailbox it was for (``rsvp+TOKEN@``); failing that, the mailbox's plain address.
        A second recipient of the same message ends as a duplicate, as in the drop box.
        SES's verdict on the sender goes along when its notification carried one.
        """
        raw = self.mail.read(arrival.key)
        recipients = arrival.recipients or tuple(
            header_recipients(raw, arrival.mailbox, self.place.domain)[:1]
        )
        recipients = recipients or (f"{arrival.mailbox}@{self.place.domain}",)
        sender = arrival.sender or envelope_sender(raw)
        return [
            Ingested(
                arrival.key,
                arrival.mailbox,
                to,
                self.inbound.ingest(
                    raw,
                    now=now,
                    envelope_to=to,
                    envelope_from=sender,
                    authentication=arrival.authentication,
                    channel="ses" if arrival.authentication else "s3",
                ),
            )
            for to in recipients
        ]


@dataclass(frozen=True)
class Letter:
    """A message received from a dead-letter queue: its id, receipt handle and body."""

    message_id: str
    handle: str
    body: str


class DeadLetters:
    """Receives, deletes and releases the messages of one SQS (dead-letter) queue."""

    def __init__(
        self,
        url: str,
        *,
        region: str | None = None,
        wait: int = 2,
        visibility: int = 300,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.url = url
        self.wait = max(0, min(wait, _LONGEST_WAIT))
        self.visibility = visibility
        self._sqs = LazyClient.of("sqs", region, client_factory).get

    def receive(self) -> list[Letter]:
        """Return up to ten messages, hidden from other readers for ``visibility`` seconds."""
        response = self._sqs().receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=_BATCH,
            WaitTimeSeconds=self.wait,
            VisibilityTimeout=self.visibility,
        )
        return [
            Letter(m["MessageId"], m["ReceiptHandle"], m.get("Body", ""))
            for m in response.get("Messages", [])
        ]

    def delete(self, letter: Letter) -> None:
        """Remove a message that was processed."""
        self._sqs().delete_message(QueueUrl=self.url, ReceiptHandle=letter.handle)

    def release(self, letter: Letter) -> None:
        """Make a message that failed visible on the queue again at once."""
        self._sqs().change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=letter.handle, VisibilityTimeout=0
        )
