"""On AWS, SES's receipt decides who mail is from: the inbound Lambda on moto, policy dmarc.

Each case is stored in the mail bucket as SES's S3 action would, announced the way the
deployment announces it (an SES receipt notification through SNS, or a bare S3 event), and
run through the real handler; the outcome is read from the message's receipt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import boto3
import pytest

from domain.authentication import SenderPolicy
from domain.identity import received_message_id
from domain.indexes import InboundMessage
from entrypoints.aws import runtime
from entrypoints.container import bootstrap
from tests.aws.lambda_events import (
    deployment_settings,
    ses_authentication_results,
    ses_receipt_notification,
)
from tests.aws.test_inbound_handler import (
    REGION,
    Stack,
    handle,
    received,
    store,
    topic_to_queue,
    uploads_notify,
)
from tests.invite_mail import ALICE, calendar, email_of

DOMAIN = "invites.example"
MALLORY = "mallory@evil.example"
RELAY = "noreply@insideicloud.icloud.com"


@pytest.fixture
def stack(aws: None, tmp_path: Path) -> Iterator[Stack]:
    run = uuid4().hex[:8]
    bucket = f"mail-{run}"
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=bucket)
    boto3.client("ses", region_name=REGION).verify_domain_identity(Domain=DOMAIN)
    settings = deployment_settings(tmp_path, run, mail_domain=DOMAIN, sender_policy="dmarc")
    container = bootstrap(settings)
    runtime.reset(container)
    try:
        yield Stack(container, bucket, run)
    finally:
        runtime.reset(None)


def outcome(stack: Stack, raw: bytes) -> str:
    digest = hashlib.sha256(raw).hexdigest()
    receipt = stack.service.load(InboundMessage, received_message_id(digest))
    assert receipt is not None, "the handler took the record but saved no receipt"
    return str(receipt.outcome)


def through_ses(stack: Stack, raw: bytes, receipt: dict[str, object], to: str = "create") -> str:
    """Store ``raw`` as SES does and deliver its receipt notification to the handler."""
    key = f"inbound/create/{uuid4().hex}"
    store(stack, key, raw)
    topic, url, arn = topic_to_queue("create")
    notification = ses_receipt_notification(
        stack.bucket,
        key,
        [f"{to}@{DOMAIN}"],
        **receipt,  # type: ignore[arg-type]
    )
    boto3.client("sns", region_name=REGION).publish(
        TopicArn=topic, Message=json.dumps(notification)
    )
    assert handle(received(url, arn)) == []
    return outcome(stack, raw)


BARE = calendar()
SES_SIGNED = ses_authentication_results(ALICE, "example.com", [("pass", "example.com")])
OTHER_SIGNED = ses_authentication_results(
    MALLORY, "example.com", [("pass", "mailer.example.net")], spf="fail", dmarc="fail"
)
CASES: dict[str, tuple[bytes, dict[str, object], str]] = {
    "DMARC pass": (email_of(BARE, ALICE), {"from_": [ALICE], "source": ALICE}, "created"),
    "aligned DKIM, no DMARC record": (
        email_of(BARE, ALICE),
        {"from_": [ALICE], "source": MALLORY, "headers": [SES_SIGNED], "dmarc": "GRAY"},
        "created",
    ),
    "aligned SPF": (
        email_of(BARE, ALICE),
        {"from_": [ALICE], "source": ALICE, "dkim": "GRAY", "dmarc": "GRAY"},
        "created",
    ),
    "DKIM of another domain": (
        email_of(BARE, ALICE),
        {
            "from_": [ALICE],
            "source": MALLORY,
            "headers": [OTHER_SIGNED],
            "spf": "FAIL",
            "dmarc": "FAIL",
        },
        "rejected",
    ),
    "no signature, nothing passes": (
        email_of(BARE, ALICE),
        {"from_": [ALICE], "source": MALLORY, "spf": "FAIL", "dkim": "FAIL", "dmarc": "FAIL"},
        "rejected",
    ),
    "two From": (
        email_of(BARE, ALICE, MALLORY),
        {"from_": [ALICE, MALLORY], "source": ALICE},
        "rejected",
    ),
    "no From, null sender": (
        email_of(BARE),
        {"source": "", "spf": "GRAY", "dkim": "GRAY", "dmarc": "GRAY"},
        "rejected",
    ),
    "iCloud relay signed by icloud.com": (
        email_of(BARE, RELAY),
        {
            "from_": [RELAY],
            "source": "bounce@icloud.com",
            "headers": [
                ses_authentication_results(
                    "bounce@icloud.com", "insideicloud.icloud.com", [("pass", "icloud.com")]
                )
            ],
            "dmarc": "GRAY",
        },
        "created",
    ),
    "relay From without the relay's DKIM": (
        email_of(BARE, RELAY),
        {"from_": [RELAY], "source": MALLORY, "spf": "FAIL", "dkim": "FAIL", "dmarc": "FAIL"},
        "rejected",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_ses_verdict_gets_the_expected_outcome(case: str, stack: Stack) -> None:
    raw, receipt, expected = CASES[case]
    assert through_ses(stack, raw, receipt) == expected


def test_the_private_address_counts_when_the_domain_allows_it(stack: Stack) -> None:
    registry = stack.service.registry
    registry.set_domain_policy("example.com", SenderPolicy.DMARC_OR_PRIVATE, now=datetime.now(UTC))
    secret = registry.issue_private_address(ALICE, now=datetime.now(UTC))
    unsigned: dict[str, object] = {
        "from_": [ALICE],
        "source": MALLORY,
        "spf": "FAIL",
        "dkim": "FAIL",
        "dmarc": "FAIL",
    }
    right = email_of(calendar(uid="right-1@example.com"), ALICE)
    wrong = email_of(calendar(uid="wrong-1@example.com"), ALICE)
    assert through_ses(stack, right, unsigned, to=f"create+{secret}") == "created"
    assert through_ses(stack, wrong, unsigned, to="create+" + "b" * 26) == "rejected"


def test_bare_s3_notifications_trust_only_the_topmost_ses_header(stack: Stack) -> None:
    url, arn = uploads_notify(stack)
    genuine = f"Authentication-Results: {SES_SIGNED[1]}"
    failed = "Authentication-Results: amazonses.com; spf=fail; dkim=fail; dmarc=fail"
    forged = "Authentication-Results: amazonses.com; dkim=pass header.i=@example.com"
    signed = email_of(calendar(uid="s3-1@example.com"), ALICE, extra=(genuine,))
    smuggled = email_of(calendar(uid="s3-2@example.com"), ALICE, extra=(failed, forged))
    for raw in (signed, smuggled):
        store(stack, f"inbound/create/{uuid4().hex}", raw)
    assert handle(received(url, arn)) == []
    assert (outcome(stack, signed), outcome(stack, smuggled)) == ("created", "rejected")
