"""Erasure on AWS (moto): after ``erase``, no byte of the person's address or name is in any
item of the DynamoDB tables nor in any version of any S3 object, and counts stay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from application.outbound.suppressions import SuppressionReason
from application.send_types import Recipient, SendOutcome
from domain.outcomes import Outcome
from entrypoints.aws import runtime
from tests.aws.test_inbound_handler import REGION, Stack, build_stack
from tests.integration.test_erasure import (
    DOMAIN,
    NAME,
    NOW,
    TRACES,
    ZELDA,
    list_mail,
    organizer_calendar,
    reply_of,
)
from tests.invite_mail import ALICE, email_of


@pytest.fixture
def deployed(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    # The notification log lets the embedded runner make and remake the views here; deployed,
    # the table's stream feeds them and `cis aws replay` remakes them from a Scan.
    monkeypatch.setenv("DYNAMODB_NOTIFICATIONS", "y")
    try:
        yield build_stack(tmp_path)
    finally:
        runtime.reset(None)


def aws_traces() -> Iterator[str]:
    """Yield every DynamoDB item and S3 object version holding a trace of Zelda."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for table in dynamodb.list_tables()["TableNames"]:
        pages = dynamodb.get_paginator("scan").paginate(TableName=table)
        for item in (item for page in pages for item in page["Items"]):
            data = json.dumps(item, default=lambda b: b.decode("latin-1")).lower().encode()
            for trace in TRACES:
                if trace in data:
                    yield f"{table}: {trace.decode()} in {str(item)[:200]}"
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
        versions = s3.list_object_versions(Bucket=bucket)
        for version in versions.get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])[
                "Body"
            ].read()
            for trace in TRACES:
                if trace in body.lower() or trace in version["Key"].lower().encode():
                    yield f"s3://{bucket}/{version['Key']}: {trace.decode()}"


def sent_to(address: str) -> bytes:
    for message in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages:
        if address.lower() in (d.lower() for d in message.destinations):
            return str(message.raw_data).encode()
    raise AssertionError(f"nothing was sent to {address}")


def test_erasure_on_aws_leaves_no_trace_in_dynamodb_or_s3(deployed: Stack) -> None:
    stack = deployed
    service = stack.service
    created = service.ingest(email_of(organizer_calendar(), ALICE), now=NOW, envelope_from=ALICE)
    assert created.outcome is Outcome.CREATED
    assert created.invite is not None
    invite = created.invite
    bulk = service.ingest(list_mail(str(invite)), now=NOW, envelope_to=f"bulk@{DOMAIN}")
    assert bulk.outcome is Outcome.BULK, bulk.reason
    data, reply_to = reply_of(sent_to(ZELDA), "ACCEPTED")
    answered = service.ingest(data, now=NOW, envelope_to=reply_to, envelope_from=ZELDA.lower())
    assert answered.outcome is Outcome.RSVP, answered.reason
    service.doors.outbound.suppressions.suppress(
        ZELDA, ALICE, SuppressionReason.UNSUBSCRIBED, now=NOW
    )
    runner = stack.container.projections()
    runner.run()
    reports = stack.container.reports()
    before = reports.statistics(invite)
    assert before is not None
    assert list(aws_traces()), "the story must have left traces to erase"
    assert NAME in str(service.doors.privacy.export(ZELDA))

    erasure = service.doors.privacy.erase(ZELDA, now=NOW)
    assert list(aws_traces()) == []

    runner.rebuild()
    assert reports.statistics(invite) == before
    assert erasure.placeholder in [row["address"] for row in reports.attendees(invite).items]
    assert list(aws_traces()) == []
    (again,) = service.send(str(invite), [Recipient(ZELDA, origin="bulk")], now=NOW)
    assert again.outcome is SendOutcome.SUPPRESSED
