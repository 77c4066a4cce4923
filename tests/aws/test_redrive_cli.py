"""``cis aws redrive`` on moto: raw mail from the bucket or a dead-letter queue goes through
ingest again, once; progress on stderr, one JSON summary on stdout, status 1 on failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import boto3
import pytest
from typer.testing import CliRunner, Result

from entrypoints.aws import runtime
from entrypoints.cli import app
from tests.aws.test_inbound_handler import (
    REGION,
    REQUEST,
    REQUEST_UID,
    Stack,
    build_stack,
    new_queue,
    store,
    uploads_notify,
)


@pytest.fixture
def stack(aws: None, tmp_path: Path) -> Iterator[Stack]:
    try:
        yield build_stack(tmp_path)
    finally:
        runtime.reset(None)


def redrive(*args: str) -> tuple[Result, dict[str, Any]]:
    """Run ``cis aws redrive``; return the result and its one JSON summary line."""
    result = CliRunner().invoke(app, ["aws", "redrive", *args])
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    return result, json.loads(lines[0])


def test_redrive_from_s3_ingests_each_stored_message_once(stack: Stack) -> None:
    store(stack, f"inbound/create/{uuid4().hex}", REQUEST.read_bytes())
    store(stack, "inbound/create/AMAZON_SES_SETUP_NOTIFICATION", b"Amazon SES setup")
    store(stack, f"inbound/rsvp/{uuid4().hex}", b"Subject: hello\r\n\r\nno calendar here\r\n")

    first, summary = redrive("--from-s3", "--mailbox", "create")

    assert first.exit_code == 0, first.stderr
    assert (summary["arrivals"], summary["outcomes"], summary["failed"]) == (1, {"created": 1}, 0)
    assert "created" in first.stderr
    assert "inbound/create/" in first.stderr
    assert stack.service.show(REQUEST_UID).organizer == "alice@example.org"

    again, summary = redrive("--from-s3")
    assert again.exit_code == 0, again.stderr
    assert summary["outcomes"] == {"duplicate": 1, "rejected": 1}


def test_redrive_from_s3_skips_mail_stored_before_since(stack: Stack) -> None:
    store(stack, f"inbound/create/{uuid4().hex}", REQUEST.read_bytes())
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()

    result, summary = redrive("--from-s3", "--since", tomorrow)

    assert result.exit_code == 0
    assert (summary["arrivals"], summary["outcomes"]) == (0, {})


def test_redrive_refuses_unclear_requests(stack: Stack) -> None:
    runner = CliRunner()
    for args in (
        [],
        ["--from-s3", "--from-dlq", "https://sqs.example/q"],
        ["--from-dlq", "https://sqs.example/q", "--mailbox", "create"],
        ["--from-s3", "--since", "21/11/2026"],
    ):
        assert runner.invoke(app, ["aws", "redrive", *args]).exit_code == 2, args
    unknown = runner.invoke(app, ["aws", "redrive", "--from-s3", "--mailbox", "sales"])
    assert unknown.exit_code == 2
    assert "no mailbox 'sales' here" in unknown.stderr


def test_redrive_from_a_dlq_deletes_what_succeeded_and_leaves_the_failures(
    stack: Stack,
) -> None:
    # What the inbound queue's redrive policy moves to the DLQ: the bodies, unchanged.
    uploads, _ = uploads_notify(stack)
    store(stack, f"inbound/create/{uuid4().hex}", REQUEST.read_bytes())
    sqs = boto3.client("sqs", region_name=REGION)
    dlq, _ = new_queue("inbound-dlq")
    bodies = [
        m["Body"] for m in sqs.receive_message(QueueUrl=uploads, MaxNumberOfMessages=10)["Messages"]
    ]
    assert len(bodies) == 2  # s3:TestEvent, then the object
    for body in [*bodies, "{not json"]:
        sqs.send_message(QueueUrl=dlq, MessageBody=body)

    result, summary = redrive("--from-dlq", dlq, "--wait", "0")

    assert result.exit_code == 1
    assert (summary["outcomes"], summary["deleted"], summary["failed"]) == ({"created": 1}, 2, 1)
    assert "not JSON" in summary["failures"][0]["error"]
    assert stack.service.show(REQUEST_UID).summary == "Imip Testing"
    left = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in left] == ["{not json"]
    sqs.change_message_visibility(
        QueueUrl=dlq, ReceiptHandle=left[0]["ReceiptHandle"], VisibilityTimeout=0
    )

    again, summary = redrive("--from-dlq", dlq, "--wait", "0")
    assert again.exit_code == 1
    assert (summary["arrivals"], summary["deleted"], summary["failed"]) == (0, 0, 1)
    assert [
        m["Body"] for m in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    ] == ["{not json"]


def test_redrive_needs_the_deployments_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CIS_BACKEND", raising=False)
    monkeypatch.setenv("CIS_DATA_DIR", str(tmp_path))
    runtime.reset(None)  # built from the environment, as in a shell
    try:
        result, summary = redrive("--from-s3")
    finally:
        runtime.reset(None)

    assert result.exit_code == 1
    assert "CIS_BACKEND=aws" in summary["failures"][0]["error"]
    assert not (tmp_path / "events.sqlite3").exists()


def test_redrive_reports_a_queue_it_cannot_read(stack: Stack) -> None:
    missing = f"https://sqs.{REGION}.amazonaws.com/123456789012/no-such-queue"

    result, summary = redrive("--from-dlq", missing, "--wait", "0")

    assert result.exit_code == 1
    assert summary["failures"][0]["source"] == missing
