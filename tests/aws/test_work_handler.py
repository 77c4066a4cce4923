"""The work Lambda on moto: queued catch-up jobs reach every recipient through SES, once."""

from __future__ import annotations

import email
import email.policy
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import boto3
import pytest
from botocore.exceptions import ClientError
from dependency_injector import providers
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from adapters.mail.ses import SesMailer
from application.send_types import Recipient
from domain.outbound import message_id
from domain.outcomes import Outcome
from entrypoints.aws import runtime, work
from entrypoints.container import Container, bootstrap
from tests.aws.lambda_events import (
    REGION,
    LambdaContext,
    deployment_settings,
    drain,
    failed,
    sqs_record,
)
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.replies import invitation_calendar

DOMAIN = "invites.example.org"
NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
GUESTS = ["ann@example.org", "ben@example.org", "cho@example.org"]
SEQ0 = CORPUS / "update/gcal-selfsent-seq0.ics"
SEQ1 = CORPUS / "update/gcal-selfsent-seq1.ics"


@dataclass
class World:
    container: Container
    queue_url: str
    queue_arn: str


class ThrottledSes:
    """A client factory: moto's SES behind a switch that answers Throttling while it is on."""

    def __init__(self) -> None:
        self.throttling = True

    def __call__(self) -> ThrottledSes:
        self.client = boto3.client("ses", region_name=REGION)
        return self

    def send_raw_email(self, **request: Any) -> Any:
        if self.throttling:
            response: Any = {
                "Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
            raise ClientError(response, "SendRawEmail")
        return self.client.send_raw_email(**request)


@pytest.fixture
def world(aws: None, tmp_path: Path) -> Iterator[World]:
    """A fresh AWS deployment on moto: tables, bucket, work queue, SES for the mail domain."""
    run = uuid4().hex[:8]
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=f"mail-{run}")
    boto3.client("ses", region_name=REGION).verify_domain_identity(Domain=DOMAIN)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"work-{run}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    settings = deployment_settings(tmp_path, run, sqs_url=url, mail_domain=DOMAIN)
    container = bootstrap(settings)
    runtime.reset(container)
    try:
        yield World(container, url, arn["QueueArn"])
    finally:
        runtime.reset(None)


def invitations() -> Counter[tuple[str, str, int]]:
    """Every invitation SES accepted, as (attendee, METHOD, SEQUENCE), from the raw mail."""
    sent: Counter[tuple[str, str, int]] = Counter()
    for message in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages:
        calendar = invitation_calendar(message.raw_data.encode())
        if calendar is None:
            continue  # a notice to the organizer
        event = calendar.events[0]
        [attendee] = [str(a).removeprefix("mailto:") for a in event.attendees]
        sent[(attendee, str(calendar["METHOD"]), event.sequence)] += 1
    return sent


def queued(world: World) -> list[dict[str, Any]]:
    """Every job on the work queue, as the records of a Lambda event."""
    return drain(world.queue_url)


def record(world: World, body: str) -> dict[str, Any]:
    """An SQS record of the work queue carrying ``body``."""
    return sqs_record(body, world.queue_arn)


def handle(records: list[dict[str, Any]]) -> list[str]:
    """Run the work handler on one batch; return the ids of the records it failed."""
    return failed(work.handler({"Records": records}, LambdaContext()))


def sent_and_updated(world: World) -> str:
    """An invite sent to every guest at once, then updated: its catch-up jobs are queued."""
    service = driver(world.container)
    invite = str(from_organizer(service, SEQ0.read_bytes(), now=NOW).invite)
    service.send(invite, [Recipient(g) for g in GUESTS], now=NOW)
    assert from_organizer(service, SEQ1.read_bytes(), now=NOW).outcome is Outcome.UPDATED
    return invite


def test_a_queued_update_reaches_every_recipient_through_ses(world: World) -> None:
    invite = sent_and_updated(world)
    assert invitations() == {(g, "REQUEST", 0): 1 for g in GUESTS}  # ingest only queued it

    jobs = queued(world)
    assert [json.loads(r["body"])["kind"] for r in jobs] == ["catch-up"]
    assert json.loads(jobs[0]["body"])["invite"] == invite
    assert handle(jobs) == []
    assert invitations() == {(g, "REQUEST", s): 1 for g in GUESTS for s in (0, 1)}


def test_a_redelivered_job_sends_nothing_twice(world: World) -> None:
    sent_and_updated(world)
    jobs = queued(world)
    assert handle(jobs) == []
    assert handle(jobs + jobs) == []  # SQS delivers at least once, sometimes together
    assert invitations() == {(g, "REQUEST", s): 1 for g in GUESTS for s in (0, 1)}


def test_a_poison_record_is_reported_alone(world: World) -> None:
    sent_and_updated(world)
    [job] = queued(world)
    unknown = {"kind": "catch-up", "invite": str(uuid4()), "page": 0}
    poison = [
        record(world, "not json"),
        record(world, json.dumps({"kind": "reindex", "invite": str(uuid4())})),
        record(world, json.dumps(unknown)),
    ]
    failed = handle([poison[0], job, *poison[1:]])
    assert failed == [r["messageId"] for r in poison]
    assert invitations()[(GUESTS[0], "REQUEST", 1)] == 1  # the good job was done


def test_a_batch_of_poison_only_still_answers_per_record(world: World) -> None:
    bad = [record(world, "{}"), record(world, "[]")]
    assert handle(bad) == [r["messageId"] for r in bad]


def test_an_announcement_is_acknowledged_and_fans_out_nothing_again(world: World) -> None:
    invite = sent_and_updated(world)
    announcement = {
        "kind": "updated",
        "invite": invite,
        "organizer": "inboxapptest@gmail.com",
        "uid": "burgos@google.com",
        "sequence": 1,
        "at": NOW.isoformat(),
    }
    envelope = {
        "Type": "Notification",
        "MessageId": str(uuid4()),
        "TopicArn": f"arn:aws:sns:{REGION}:123456789012:event-updated",
        "Message": json.dumps(announcement),
    }
    [job] = queued(world)
    assert (
        handle([record(world, json.dumps(envelope)), record(world, json.dumps(announcement))]) == []
    )
    assert invitations() == {(g, "REQUEST", 0): 1 for g in GUESTS}  # still only the job sends
    sqs = boto3.client("sqs", region_name=REGION)
    assert "Messages" not in sqs.receive_message(QueueUrl=world.queue_url)  # nothing queued
    assert handle([job]) == []
    assert invitations() == {(g, "REQUEST", s): 1 for g in GUESTS for s in (0, 1)}


def test_ses_throttling_keeps_the_job_queued_until_every_send_is_done(world: World) -> None:
    ses = ThrottledSes()
    world.container.mailer.override(
        providers.Object(SesMailer(REGION, client_factory=ses, sleep=lambda _: None))
    )
    invite = UUID(sent_and_updated(world))  # the first version is throttled too: pending
    assert invitations() == {}
    [job] = queued(world)

    assert handle([job]) == [job["messageId"]]  # throttled: SQS delivers it again later
    assert invitations() == {}
    ses.throttling = False
    assert handle([job]) == []
    # The job sends the current version; the pending first one is superseded, never sent.
    assert invitations() == {(g, "REQUEST", 1): 1 for g in GUESTS}
    for message in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages:
        if invitation_calendar(message.raw_data.encode()) is None:
            continue
        parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
        to = message.destinations[0]  # moto appends the header recipients
        # The deterministic Message-ID of (invite, recipient, version): a retry, not a new mail.
        assert parsed["Message-ID"].strip("<>") == message_id(invite, to, 1, DOMAIN).strip("<>")
