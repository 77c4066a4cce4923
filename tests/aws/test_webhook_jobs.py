"""Webhooks on AWS (moto): the projections function fans out from the event table's real
DynamoDB stream and queues one `webhook` job per message on SQS; the work function delivers
it over HTTPS (the same code as the embedded server), a failed attempt queues the next one
held back, and a stream batch delivered again queues nothing new."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import boto3
import pytest
import trustme
from dependency_injector import providers

from adapters.webhooks.http import HttpWebhookTransport
from application.vocabulary import Principal, Scope
from application.webhooks.front_door import InvalidWebhookError, Webhooks
from entrypoints.aws import projections, runtime, work
from entrypoints.container import Container, bootstrap
from tests.aws.lambda_events import (
    REGION,
    LambdaContext,
    deployment_settings,
    drain,
    failed,
    sqs_record,
    stream_records,
)
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.webhook_receiver import Receiver, receiver

ORGANIZER = "inboxapptest@gmail.com"  # the corpus invite's
HOST = "hooks.test"


@dataclass
class World:
    container: Container
    table: str
    queue_url: str
    queue_arn: str
    hook: Receiver


@pytest.fixture
def world(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    run = uuid4().hex[:8]
    table = f"events-{run}"
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=f"mail-{run}")
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"work-{run}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    settings = deployment_settings(
        tmp_path, run, sqs_url=url, dynamodb_table=table, webhooks_allow_private=True
    )
    container = bootstrap(settings)
    authority = trustme.CA()
    certificate = authority.issue_cert(HOST)
    with receiver(fail_first=1, tls=_server_context(certificate), host=HOST) as hook:
        # The one change from a deployment: hooks.test is this machine (a test can reach
        # nothing else), so private addresses are allowed here; the SSRF rule of the aws
        # backend itself is checked in test_the_aws_backend_refuses_this_machine.
        transport = HttpWebhookTransport(
            allow_private=True,
            resolve=lambda host, port: ["127.0.0.1"],
            tls=_client_context(authority),
        )
        container.webhook_transport.override(providers.Object(transport))
        runtime.reset(container)
        try:
            yield World(container, table, url, arn["QueueArn"], hook)
        finally:
            runtime.reset(None)


def _server_context(certificate: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    return context


def _client_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


def webhooks(world: World) -> Webhooks:
    door: Webhooks = world.container.webhooks()
    return door


def test_a_stream_record_becomes_a_queued_job_that_delivers_and_retries(world: World) -> None:
    organizer = Principal(Scope.ORGANIZER, ORGANIZER, "test")
    endpoint, secret = webhooks(world).register(
        organizer, world.hook.url, ["invite.created"], datetime.now(UTC) - timedelta(minutes=1)
    )
    world.hook.secrets.append(secret)
    created = from_organizer(
        driver(world.container),
        (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(),
        now=datetime.now(UTC),
    )
    assert created.invite is not None

    records = stream_records(world.table)
    assert failed(projections.handler({"Records": records}, LambdaContext())) == []
    (job,) = drain(world.queue_url)
    body = json.loads(job["body"])
    assert body["kind"] == "webhook"
    # The stream delivered again (a retried batch): nothing new is queued.
    assert failed(projections.handler({"Records": records}, LambdaContext())) == []
    assert drain(world.queue_url) == []

    # The first attempt meets a 500: the job is done, and the next attempt is queued, held back.
    assert failed(work.handler({"Records": [job]}, LambdaContext())) == []
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(
        QueueUrl=world.queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    (message,) = webhooks(world).deliveries(organizer, endpoint.key).messages
    assert message.status == "pending"
    assert message.attempts[0].status_code == 500

    # The job again once its wait is over (what the delayed copy does): delivered, signed.
    later = message.next_attempt
    assert later is not None
    attempt = webhooks(world).work(UUID(body["invite"]), later)
    assert attempt is not None
    assert attempt.status == "delivered"
    assert [r.answered for r in world.hook.received] == [500, 204]
    assert all(r.verified for r in world.hook.received)
    assert world.hook.received[1].payload["data"]["organizer"] == ORGANIZER
    assert len(world.hook.accepted) == 1


def test_a_job_redelivered_before_its_time_only_waits_again(world: World) -> None:
    organizer = Principal(Scope.ORGANIZER, ORGANIZER, "test")
    webhooks(world).register(
        organizer, world.hook.url, ["invite.created"], datetime.now(UTC) - timedelta(minutes=1)
    )
    from_organizer(
        driver(world.container),
        (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(),
        now=datetime.now(UTC),
    )
    projections.handler({"Records": stream_records(world.table)}, LambdaContext())
    (job,) = drain(world.queue_url)
    work.handler({"Records": [job]}, LambdaContext())  # the 500
    again = sqs_record(job["body"], world.queue_arn)
    assert failed(work.handler({"Records": [again]}, LambdaContext())) == []
    assert len(world.hook.received) == 1  # not due yet: nothing sent


def test_the_aws_backend_refuses_this_machine(aws: None, tmp_path: Path) -> None:
    settings = deployment_settings(tmp_path, uuid4().hex[:8], webhooks_allow_private=True)
    door = bootstrap(settings).webhooks()
    admin = Principal(Scope.ADMIN, None, "test")
    for url in ("http://127.0.0.1/x", "https://127.0.0.1/x", "https://169.254.169.254/x"):
        with pytest.raises(InvalidWebhookError):
            door.register(admin, url, ["invite.created"], datetime.now(UTC))
