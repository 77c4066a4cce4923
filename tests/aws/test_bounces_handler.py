"""The bounces Lambda on moto: SES's bounce and complaint notifications, through SNS and SQS,
mark the delivery the VERP return path names; anything else changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from application.send_types import Recipient
from domain.delivery import Delivery, delivery_id
from domain.outcomes import Outcome
from domain.reply_tokens import token_of
from entrypoints.aws import bounces, runtime
from tests.aws.lambda_events import LambdaContext as FakeLambdaContext
from tests.aws.test_inbound_handler import (
    DOMAIN,
    NOW,
    REGION,
    REQUEST,
    Stack,
    build_stack,
    received,
    topic_to_queue,
)

GUESTS = ("bob@example.org", "carol@example.org")


@pytest.fixture
def sent(aws: None, tmp_path: Path) -> Iterator[tuple[Stack, str]]:
    """A deployment whose invite was sent to both guests through SES; yields it and the ref."""
    stack = build_stack(tmp_path)
    try:
        service = stack.service
        created = service.ingest(REQUEST.read_bytes(), now=NOW, envelope_to=f"create@{DOMAIN}")
        ref = str(created.invite)
        service.send(ref, [Recipient(guest) for guest in GUESTS], now=NOW)
        yield stack, ref
    finally:
        runtime.reset(None)


def return_path(recipient: str) -> str:
    """The Source SES was given for the invitation to ``recipient``: bounces+TOKEN@domain."""
    [source] = {
        m.source
        for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        if recipient in m.destinations and m.source.startswith("bounces+")
    }
    return str(source)


def mail(source: str, recipient: str) -> dict[str, Any]:
    return {
        "timestamp": "2026-11-21T09:00:00.000Z",
        "source": source,
        "sourceArn": f"arn:aws:ses:{REGION}:123456789012:identity/{DOMAIN}",
        "sendingAccountId": "123456789012",
        "messageId": "0100019a-bounced-message",
        "destination": [recipient],
    }


def bounce(recipient: str, kind: str = "Permanent", status: str = "5.1.1") -> dict[str, Any]:
    """An SES bounce notification (AWS's documented shape) for our mail to ``recipient``."""
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": kind,
            "bounceSubType": "General" if kind == "Permanent" else "MailboxFull",
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": status,
                    "diagnosticCode": f"smtp; 550 {status} user unknown",
                }
            ],
            "timestamp": "2026-11-21T09:00:05.000Z",
            "feedbackId": "0100019a-feedback",
            "reportingMTA": "dsn; a8-1.smtp-out.amazonses.com",
        },
        "mail": mail(return_path(recipient), recipient),
    }


def complaint(recipient: str) -> dict[str, Any]:
    return {
        "notificationType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": recipient}],
            "complaintFeedbackType": "abuse",
            "userAgent": "Yahoo!-Mail-Feedback/2.0",
            "timestamp": "2026-11-21T09:10:00.000Z",
            "feedbackId": "0100019a-complaint",
        },
        "mail": mail(return_path(recipient), recipient),
    }


def delivered(recipient: str) -> dict[str, Any]:
    return {
        "notificationType": "Delivery",
        "delivery": {"recipients": [recipient], "smtpResponse": "250 ok"},
        "mail": mail(return_path(recipient), recipient),
    }


def notified(*notifications: dict[str, Any]) -> list[dict[str, Any]]:
    """Publish each notification to an SNS topic and take the SQS records its queue got."""
    topic, url, arn = topic_to_queue("ses-notices")
    sns = boto3.client("sns", region_name=REGION)
    for notification in notifications:
        sns.publish(TopicArn=topic, Message=json.dumps(notification))
    return received(url, arn)


def handle(records: list[dict[str, Any]]) -> list[str]:
    context = cast(LambdaContext, FakeLambdaContext(function_name="cis-bounces"))
    response = bounces.handler({"Records": records}, context)
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def delivery_of(stack: Stack, recipient: str) -> Delivery:
    token = token_of(return_path(recipient))
    assert token is not None
    found = stack.service.load(Delivery, delivery_id(token))
    assert found is not None
    return found


def statuses(stack: Stack, ref: str) -> dict[str, str]:
    # Each recipient's own streams: the report reads views that only the table's stream
    # (not run here) would feed.
    return {r.row.address: r.row.status for r in stack.service.doors.reading.recipients(ref)}


def test_a_permanent_bounce_marks_that_recipient_bounced_once(sent: tuple[Stack, str]) -> None:
    stack, ref = sent
    records = notified(bounce("bob@example.org"))

    assert handle(records) == []

    assert statuses(stack, ref) == {"bob@example.org": "bounced", "carol@example.org": "no answer"}
    marked = delivery_of(stack, "bob@example.org")
    assert "5.1.1" in (marked.bounced or "")
    assert "SES Permanent/General" in (marked.bounced or "")  # who said so, in the reason
    assert handle(records) == []  # delivered again: nothing new
    assert delivery_of(stack, "bob@example.org").version == marked.version


def test_a_complaint_stops_mail_to_that_recipient(sent: tuple[Stack, str]) -> None:
    stack, ref = sent

    assert handle(notified(complaint("carol@example.org"))) == []

    assert statuses(stack, ref)["carol@example.org"] == "bounced"
    reason = delivery_of(stack, "carol@example.org").bounced or ""
    assert reason.startswith("complaint")
    assert "abuse" in reason


def test_transient_bounces_and_deliveries_change_nothing(sent: tuple[Stack, str]) -> None:
    stack, ref = sent
    records = notified(
        bounce("bob@example.org", kind="Transient", status="4.2.2"), delivered("carol@example.org")
    )

    assert handle(records) == []

    assert statuses(stack, ref) == dict.fromkeys(GUESTS, "no answer")
    [transient] = bounces.record_notification(records[0]["body"], now=NOW) or []
    assert transient.outcome is Outcome.DUPLICATE
    assert "transient" in (transient.reason or "")
    assert bounces.record_notification(records[1]["body"], now=NOW) is None


def test_a_bounce_of_mail_without_a_token_is_not_an_error(sent: tuple[Stack, str]) -> None:
    stack, ref = sent
    notice = bounce("bob@example.org")
    notice["mail"]["source"] = f"invites@{DOMAIN}"  # an organizer notice, not an invitation

    assert handle(notified(notice)) == []

    assert statuses(stack, ref) == dict.fromkeys(GUESTS, "no answer")


def test_an_unreadable_record_fails_alone(sent: tuple[Stack, str]) -> None:
    stack, ref = sent
    good, *_ = records = notified(bounce("bob@example.org"))
    garbled = {**good, "messageId": "garbled", "body": "<html>not json</html>"}
    untyped = {**good, "messageId": "untyped", "body": json.dumps({"mail": {}})}

    assert handle([garbled, *records, untyped]) == ["garbled", "untyped"]

    assert statuses(stack, ref)["bob@example.org"] == "bounced"
