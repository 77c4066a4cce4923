"""The AWS deployment end to end on a moto server (127.0.0.1, a free port), through the Lambda
handlers as the deployment wires them: raw mail in S3 → SQS → inbound; the HTTP API; the work
queue → SES; the event table's DynamoDB stream → projections; the statistics read back.

Every function builds its container from the environment a deployment gives it.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import boto3
import pytest
from icalendar import Calendar
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from application.admin.keys import Scope
from entrypoints.aws import http, inbound, projections, runtime, work
from entrypoints.aws.environment import REQUIRED
from tests.aws.lambda_events import (
    REGION,
    LambdaContext,
    failed,
    http_event,
    sqs_record,
    stream_records,
)
from tests.conftest import CORPUS
from tests.replies import answer, invitation_calendar

DOMAIN = "invites.example.org"
SENDER = f"invites@{DOMAIN}"
ORGANIZER = "admin@willow.vmw"  # of the Outlook for Mac invite and its update
GUESTS = ["ann@example.org", "ben@example.org", "cho@example.org"]
MAX_RECEIVES = 2


@dataclass
class Deployment:
    endpoint: str
    bucket: str
    table: str
    queues: dict[str, str]  # create, rsvp, work, dead → URL

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)


def deploy(endpoint: str, data: Path, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    """What the SAM template makes, on the moto server, and the functions' environment."""
    run = uuid4().hex[:8]
    d = Deployment(endpoint, f"mail-{run}", f"events-{run}", {})
    sqs = d.client("sqs")
    dead = sqs.create_queue(QueueName=f"dead-{run}")["QueueUrl"]
    dead_arn = arn_of(sqs, dead)
    redrive = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(MAX_RECEIVES)})
    d.queues = {"dead": dead} | {
        name: sqs.create_queue(QueueName=f"{name}-{run}", Attributes={"RedrivePolicy": redrive})[
            "QueueUrl"
        ]
        for name in ("create", "rsvp", "work")
    }
    s3 = d.client("s3")
    s3.create_bucket(Bucket=d.bucket)
    s3.put_bucket_notification_configuration(
        Bucket=d.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn_of(sqs, d.queues[box]),
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {"FilterRules": [{"Name": "prefix", "Value": f"inbound/{box}/"}]}
                    },
                }
                for box in ("create", "rsvp")
            ]
        },
    )
    dynamodb = d.client("dynamodb")
    for table, sort, stream in ((d.table, "N", True), (f"views-{run}", "S", False)):
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": sort},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": stream, "StreamViewType": "NEW_IMAGE"}
            if stream
            else {"StreamEnabled": False},
        )
    sns = d.client("sns")
    topics = {
        name: sns.create_topic(Name=f"{name.lower()}-{run}")["TopicArn"]
        for name in ("NEW_EVENT_INVITE", "EVENT_UPDATED", "EVENT_CANCELLATION_REQUEST")
    }
    d.client("ses").verify_domain_identity(Domain=DOMAIN)
    secret = d.client("secretsmanager").create_secret(
        Name=f"cis-{run}", SecretString=base64.b64encode(os.urandom(32)).decode()
    )["ARN"]
    environment = {
        "AWS_ENDPOINT_URL": endpoint,
        "CIS_BACKEND": "aws",
        "CIS_MAILER": "ses",
        "CIS_MAIL_DOMAIN": DOMAIN,
        "CIS_SECRET_ARN": secret,
        "CIS_DATA_DIR": str(data),
        "DYNAMODB_TABLE": d.table,
        "VIEWS_TABLE": f"views-{run}",
        "MAIL_BUCKET": d.bucket,
        "SQS_URL": d.queues["work"],
        "SENDER": SENDER,
        "REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "calendar-invite-server",
        **topics,
    }
    assert set(REQUIRED) <= environment.keys()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    runtime.reset(None)  # the first handler call builds the container from the environment
    return d


def arn_of(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def poll(d: Deployment, queue: str, handler: Handler, extra: int = 0) -> list[str]:
    """Feed a queue to a handler as Lambda's SQS event source mapping does: batches of up to
    ten, every record here delivered twice; what the handler does not fail is deleted, what it
    fails is received again at once, and after MAX_RECEIVES goes to the dead-letter queue.
    Return the ids of every failed record, in order."""
    sqs = d.client("sqs")
    url, arn = d.queues[queue], arn_of(sqs, d.queues[queue])
    failures: list[str] = []
    for _ in range(20):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        if not messages:
            return failures
        records = [sqs_record(m["Body"], arn, message_id=m["MessageId"]) for m in messages]
        refused = failed(handler({"Records": records + records}, LambdaContext()))
        failures += refused
        for message in messages:
            if message["MessageId"] not in refused:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError(f"the {queue} queue never drained")


def arrive(d: Deployment, mailbox: str, raw: bytes) -> None:
    """Raw mail as SES's receipt rule stores it (S3 action, prefix inbound/<mailbox>/)."""
    d.client("s3").put_object(Bucket=d.bucket, Key=f"inbound/{mailbox}/{uuid4().hex}", Body=raw)


def project(d: Deployment) -> None:
    """Deliver the whole event-table stream to the projections function, twice over."""
    records = stream_records(d.table, d.endpoint)
    for size in (25, 100):
        for start in range(0, len(records), size):
            batch = {"Records": records[start : start + size]}
            assert failed(projections.handler(batch, LambdaContext())) == []


def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    """One request through the HTTP function; return the status and the JSON answer."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    raw = json.dumps(body).encode() if body is not None else b""
    response = http.handler(http_event(method, path, headers=headers, body=raw), LambdaContext())
    text = response["body"]
    if response.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    return response["statusCode"], json.loads(text)


def invitations() -> list[tuple[str, Calendar, EmailMessage]]:
    """Every invitation SES accepted: (envelope recipient, its calendar, the message)."""
    found = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages:
        raw = message.raw_data.encode()
        calendar = invitation_calendar(raw)
        if calendar is not None:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append((message.destinations[0], calendar, parsed))
    return found


def reply_mail(guest: str, calendar: Calendar) -> bytes:
    """The guest's client accepting ``calendar``: a REPLY mailed to its reply address."""
    ics, address = answer(calendar, guest, "ACCEPTED")
    mail = EmailMessage()
    mail["From"] = guest
    mail["To"] = address
    mail["Subject"] = "Accepted: the meeting"
    mail["Message-ID"] = make_msgid(domain="example.org")
    mail.set_content("Accepted.")
    mail.add_alternative(ics, maintype="text", subtype="calendar", params={"method": "REPLY"})
    return mail.as_bytes()


def test_mail_in_invitations_out_replies_counted(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = deploy(endpoint, tmp_path, monkeypatch)
    sqs = d.client("sqs")

    # An organizer mails an Outlook invite to create@; one bogus notification rides along.
    arrive(d, "create", (CORPUS / "request/outlook-mac-invite-comma-tzid.eml").read_bytes())
    missing = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": d.bucket}, "object": {"key": "inbound/create/gone"}},
            }
        ]
    }
    poison = sqs.send_message(QueueUrl=d.queues["create"], MessageBody=json.dumps(missing))
    assert set(poll(d, "create", inbound.handler)) == {poison["MessageId"]}
    project(d)

    # The organizer's API key finds the invite and sends it to three guests.
    _, token = (
        runtime.container().api_keys().create(Scope.ORGANIZER, ORGANIZER, "e2e", datetime.now(UTC))
    )
    status, listing = call("GET", f"/v1/organizers/{quote(ORGANIZER)}/invites", token)
    assert status == 200
    [summary] = listing["items"]
    invite = summary["invite"]
    for guest in GUESTS:
        status, sent = call("POST", f"/v1/invites/{invite}/recipients", token, {"address": guest})
        assert (status, sent["outcome"]) == (200, "sent")
    first = invitations()
    assert sorted(to for to, _, _ in first) == GUESTS
    for to, calendar, message in first:
        event = calendar.events[0]
        assert str(calendar["METHOD"]) == "REQUEST"
        assert [str(a).removeprefix("mailto:") for a in event.attendees] == [to]
        reply_to = str(event["ORGANIZER"]).removeprefix("mailto:")
        assert reply_to.startswith("rsvp+")
        assert reply_to.endswith(f"@{DOMAIN}")
        assert reply_to in str(message["Reply-To"])
        assert SENDER in str(message["From"])

    # The organizer moves the meeting: the update is queued per roster page and worked.
    arrive(d, "create", (CORPUS / "update/outlook-mac-update.eml").read_bytes())
    assert poll(d, "create", inbound.handler) == []
    bad = sqs.send_message(QueueUrl=d.queues["work"], MessageBody='{"kind": "reindex"}')
    assert set(poll(d, "work", work.handler)) == {bad["MessageId"]}
    dead = sqs.receive_message(QueueUrl=d.queues["dead"], MaxNumberOfMessages=10)["Messages"]
    assert {m["MessageId"] for m in dead} == {poison["MessageId"], bad["MessageId"]}
    updates = [(to, cal) for to, cal, _ in invitations() if cal.events[0].sequence == 1]
    assert sorted(to for to, _ in updates) == GUESTS  # each guest once, duplicates or not

    # Two guests accept the update; their replies arrive in the rsvp mailbox.
    for guest, calendar in updates[:2]:
        arrive(d, "rsvp", reply_mail(guest, calendar))
    assert poll(d, "rsvp", inbound.handler) == []
    project(d)

    status, statistics = call("GET", f"/v1/invites/{invite}/statistics", token)
    assert status == 200
    assert statistics["invited"] == 3
    assert statistics["by_status"]["accepted"] == 2
    assert statistics["update_count"] == 1
