"""The inbound Lambda on moto: mail SES stored in S3 reaches ingest through SQS, as deployed.

Each Lambda event is built from messages really received from an SQS queue that S3 (bucket
notifications) or SNS (SES receipt notifications) filled, so the shapes are moto's, not ours.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from icalendar import Calendar, vCalAddress
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from application.send_types import Recipient
from domain.identity import received_message_id
from domain.indexes import InboundMessage
from domain.outcomes import Outcome
from entrypoints.aws import inbound, runtime
from entrypoints.container import Container, bootstrap
from tests.aws.lambda_events import LambdaContext as FakeLambdaContext
from tests.aws.lambda_events import deployment_settings, ses_receipt_notification
from tests.conftest import CORPUS
from tests.driver import Driver, driver
from tests.replies import invitation_calendar

REGION = "us-east-1"
DOMAIN = "invites.example"
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
# A Google Calendar invitation (alice organizes, UID 69d4c40b…) and Google's "Accepted:" mail.
REQUEST = CORPUS / "request/nc-google-request.eml"
REPLY = CORPUS / "reply/google-accepted.eml"
REQUEST_UID = "69d4c40b4a274636bf23517938df9673@example.org"


@dataclass
class Stack:
    """A fresh deployment on moto: event table, mail bucket, SES for the mail domain."""

    container: Container
    bucket: str
    run: str

    @property
    def service(self) -> Driver:
        return driver(self.container)


def build_stack(tmp_path: Path) -> Stack:
    """Create the bucket and SES identity, wire the container and hand it to the handlers."""
    run = uuid4().hex[:8]
    bucket = f"mail-{run}"
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=bucket)
    boto3.client("ses", region_name=REGION).verify_domain_identity(Domain=DOMAIN)
    settings = deployment_settings(tmp_path, run, mail_domain=DOMAIN)
    container = bootstrap(settings)
    runtime.reset(container)
    return Stack(container, bucket, run)


@pytest.fixture
def stack(aws: None, tmp_path: Path) -> Iterator[Stack]:
    try:
        yield build_stack(tmp_path)
    finally:
        runtime.reset(None)


def new_queue(name: str) -> tuple[str, str]:
    """Create an SQS queue; return its URL and ARN."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=f"{name}-{uuid4().hex[:8]}")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, attributes["Attributes"]["QueueArn"]


def uploads_notify(stack: Stack, prefix: str = "inbound/") -> tuple[str, str]:
    """A queue the bucket notifies of every object created under ``prefix``."""
    url, arn = new_queue("uploads")
    boto3.client("s3", region_name=REGION).put_bucket_notification_configuration(
        Bucket=stack.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                }
            ]
        },
    )
    return url, arn


def topic_to_queue(name: str) -> tuple[str, str, str]:
    """An SNS topic with an SQS subscription (no raw delivery: SNS's envelope arrives)."""
    url, arn = new_queue(name)
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name=f"{name}-{uuid4().hex[:8]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url, arn


def received(url: str, arn: str) -> list[dict[str, Any]]:
    """Take every message on the queue, as the SQS records of a Lambda event."""
    sqs = boto3.client("sqs", region_name=REGION)
    records = []
    while messages := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", []):
        records += [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    return records


def handle(records: list[dict[str, Any]]) -> list[str]:
    """Run the inbound handler on one batch; return the ids of the records it failed."""
    context = cast(LambdaContext, FakeLambdaContext(function_name="cis-inbound"))
    response = inbound.handler({"Records": records}, context)
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def store(stack: Stack, key: str, raw: bytes) -> None:
    """What SES's S3 action does with a received message."""
    boto3.client("s3", region_name=REGION).put_object(Bucket=stack.bucket, Key=key, Body=raw)


def sent_invitation(recipient: str) -> EmailMessage:
    """The invitation SES accepted for ``recipient``, parsed."""
    for message in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages:
        parsed = email.message_from_bytes(message.raw_data.encode(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        if recipient in message.destinations and invitation_calendar(parsed) is not None:
            return parsed
    raise AssertionError(f"no invitation was sent to {recipient}")


def readdressed_reply(invitation: Calendar, attendee: str, partstat: str) -> bytes:
    """Google's real "Accepted:" mail, its calendar parts re-addressed to our invitation."""
    message = email.message_from_bytes(REPLY.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    ours = invitation.events[0]
    for part in list(message.walk()):
        kind = part.get_content_type()
        if kind not in ("text/calendar", "application/ics"):
            continue
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        calendar = Calendar.from_ical(payload)
        for event in calendar.events:
            for name in ("UID", "SEQUENCE", "ORGANIZER"):
                event[name] = ours[name]
            who = vCalAddress(f"mailto:{attendee}")
            who.params["PARTSTAT"] = partstat
            event["ATTENDEE"] = who
        assert isinstance(part, EmailMessage)
        if kind == "text/calendar":
            part.set_content(
                calendar.to_ical().decode(), subtype="calendar", params={"method": "REPLY"}
            )
        else:
            part.set_content(calendar.to_ical(), "application", "ics", filename="invite.ics")
    message.replace_header("From", attendee)
    return message.as_bytes()


def receipt_of(stack: Stack, raw: bytes) -> InboundMessage:
    """The receipt ingest saved for this exact message (what it ended as, for whom)."""
    digest = stack.service.blobs.put(raw)  # the content key; storing again changes nothing
    found = stack.service.load(InboundMessage, received_message_id(digest))
    assert found is not None
    return found


class Lines(logging.Handler):
    """Keeps what the powertools logger writes, formatted as it formats it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    kept = Lines()
    kept.setFormatter(runtime.logger.registered_formatter)
    logging.getLogger(runtime.logger.name).addHandler(kept)
    try:
        yield kept
    finally:
        logging.getLogger(runtime.logger.name).removeHandler(kept)


def test_mail_stored_by_ses_creates_the_invite_from_the_s3_notification(
    stack: Stack, log_lines: Lines
) -> None:
    url, arn = uploads_notify(stack)
    raw = REQUEST.read_bytes()
    store(stack, f"inbound/create/{uuid4().hex}", raw)
    records = received(url, arn)
    assert [json.loads(r["body"]).get("Event") for r in records] == ["s3:TestEvent", None]

    assert handle(records) == []

    invite = stack.service.show(REQUEST_UID)
    assert (invite.organizer, invite.summary) == ("alice@example.org", "Imip Testing")
    receipt = receipt_of(stack, raw)
    assert (receipt.outcome, receipt.envelope_to) == ("created", f"create@{DOMAIN}")
    assert receipt.invite == invite.invite
    [line] = [line for line in log_lines.lines if line["message"] == "arrival"]
    assert line["outcome"] == "created"
    assert line["invite"] == str(invite.invite)
    assert line["key"].startswith("inbound/create/")
    assert line["correlation_id"] == records[1]["messageId"]
    assert not any("Imip Testing" in json.dumps(line) for line in log_lines.lines)


def test_a_reply_to_a_token_address_is_recorded_from_an_ses_receipt_notification(
    stack: Stack,
) -> None:
    service = stack.service
    created = service.ingest(REQUEST.read_bytes(), now=NOW, envelope_to=f"create@{DOMAIN}")
    ref = str(created.invite)
    service.send(ref, [Recipient("bob@example.org"), Recipient("carol@example.org")], now=NOW)
    invitation = sent_invitation("bob@example.org")
    reply_to = str(invitation["Reply-To"]).strip("<>")
    assert reply_to.startswith("rsvp+")
    assert reply_to.endswith(f"@{DOMAIN}")
    calendar = invitation_calendar(invitation)
    assert calendar is not None

    key = f"inbound/rsvp/{uuid4().hex}"
    store(stack, key, readdressed_reply(calendar, "bob@example.org", "ACCEPTED"))
    topic, url, arn = topic_to_queue("rsvp")
    notification = ses_receipt_notification(
        stack.bucket, key, [reply_to, "someone@elsewhere.example"], "bob@x.org"
    )
    boto3.client("sns", region_name=REGION).publish(
        TopicArn=topic, Message=json.dumps(notification)
    )
    records = received(url, arn)
    assert json.loads(records[0]["body"])["Type"] == "Notification"  # SNS's envelope

    assert handle(records) == []

    # Bob's own streams: the report reads views that only the table's stream would feed.
    rows = {r.row.address: r.row.status for r in service.doors.reading.recipients(ref)}
    assert rows == {"bob@example.org": "accepted", "carol@example.org": "no answer"}


def test_the_same_record_delivered_twice_makes_one_invite(stack: Stack) -> None:
    url, arn = uploads_notify(stack)
    store(stack, f"inbound/create/{uuid4().hex}", REQUEST.read_bytes())
    records = received(url, arn)

    assert handle(records) == []
    history = stack.service.history(REQUEST_UID)
    assert handle(records) == []  # SQS delivers at least once

    assert stack.service.history(REQUEST_UID) == history
    [again] = inbound.receive(records[1]["body"], now=NOW)
    assert again.result.outcome is Outcome.DUPLICATE
    assert again.result.reason == "this exact message was received before and ended as created"


def test_a_poison_record_is_reported_alone_and_the_rest_are_recorded(stack: Stack) -> None:
    url, arn = uploads_notify(stack)
    store(stack, "inbound/create/gone", b"deleted before the function ran")
    boto3.client("s3", region_name=REGION).delete_object(
        Bucket=stack.bucket, Key="inbound/create/gone"
    )
    store(stack, "inbound/elsewhere/stray", REQUEST.read_bytes())
    store(stack, f"inbound/create/{uuid4().hex}", REQUEST.read_bytes())
    test_event, gone, stray, good = received(url, arn)
    garbled = {**good, "messageId": str(uuid4()), "body": "{not json"}

    failed = handle([test_event, gone, garbled, stray, good])

    assert failed == [gone["messageId"], garbled["messageId"], stray["messageId"]]
    assert stack.service.show(REQUEST_UID).status == "confirmed"
    # A batch of nothing but poison still answers per record rather than raising.
    assert handle([gone, stray]) == [gone["messageId"], stray["messageId"]]


def test_a_bare_s3_notification_takes_the_tagged_recipient_from_the_headers(
    stack: Stack,
) -> None:
    url, arn = uploads_notify(stack)
    raw = b"Delivered-To: create+team-a@" + DOMAIN.encode() + b"\r\n" + REQUEST.read_bytes()
    store(stack, f"inbound/create/{uuid4().hex}", raw)

    assert handle(received(url, arn)) == []

    assert receipt_of(stack, raw).envelope_to == f"create+team-a@{DOMAIN}"


def test_the_handler_modules_import_without_the_application() -> None:
    # A cold start pays for the application on the first record, not at import.
    probe = (
        "import sys, entrypoints.aws.inbound, entrypoints.aws.bounces; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'boto3', 'icalendar', 'eventsourcing', 'adapters', 'application', 'domain'} "
        "or m == 'entrypoints.container'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]"
