"""Created, updated and cancelled invites are announced: a local file, or SNS topics on AWS."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dependency_injector import providers

from application.ports import Announcement, Announcer
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

NOW = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)
REQUEST = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
UPDATE = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
CANCEL = UPDATE.replace(b"METHOD:REQUEST", b"METHOD:CANCEL").replace(b"SEQUENCE:1", b"SEQUENCE:2")


def test_the_embedded_default_writes_announcements_to_the_data_folder(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    for raw in (REQUEST, UPDATE, CANCEL, CANCEL):
        from_organizer(service, raw, now=NOW)
    lines = [
        json.loads(line) for line in (tmp_path / "announcements.jsonl").read_text().splitlines()
    ]
    assert [(a["kind"], a["sequence"]) for a in lines] == [
        ("created", 0),
        ("updated", 1),
        ("cancelled", 2),
    ]
    assert {a["uid"] for a in lines} == {"burgos@google.com"}


def test_sns_topics_carry_each_kind_to_their_subscribers(tmp_path: Path, aws: None) -> None:
    import boto3

    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    queues = {}
    for kind, name in (
        ("created", "NEW_EVENT_INVITE"),
        ("updated", "EVENT_UPDATED"),
        ("cancelled", "EVENT_CANCELLATION_REQUEST"),
    ):
        topic = sns.create_topic(Name=name.lower())["TopicArn"]
        url = sqs.create_queue(QueueName=f"{name.lower()}-q")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
        )
        queues[kind] = (topic, url)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="mail")
    settings = Settings(
        backend="aws",
        data_dir=tmp_path,
        region="us-east-1",
        dynamodb_table="events",
        create_tables=True,
        mail_bucket="mail",
        secret=base64.b64encode(secrets.token_bytes(32)).decode(),
        new_event_invite_topic=queues["created"][0],
        event_updated_topic=queues["updated"][0],
        event_cancellation_topic=queues["cancelled"][0],
        notify_organizers=False,
    )
    service = driver(bootstrap(settings))
    for raw in (REQUEST, UPDATE, CANCEL):
        from_organizer(service, raw, now=NOW)
    for kind, (_, url) in queues.items():
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        bodies = [json.loads(m["Body"]) for m in messages]
        assert [(b["kind"], b["uid"]) for b in bodies] == [(kind, "burgos@google.com")]


class BrokenAnnouncer(Announcer):
    def publish(self, announcement: Announcement) -> None:
        raise ConnectionError("sns endpoint unreachable")


def test_a_failed_announcement_is_logged_and_the_change_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    container = bootstrap(Settings(data_dir=tmp_path))
    container.announcer.override(providers.Object(BrokenAnnouncer()))
    service = driver(container)
    with caplog.at_level(logging.ERROR):
        result = from_organizer(service, REQUEST, now=NOW)
    assert result.outcome is Outcome.CREATED
    assert service.show("burgos@google.com").summary == "the Strokes"
    assert "not published" in caplog.text
