"""``cis work`` in a real process, draining a real SQS endpoint (a moto server on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from email.utils import parseaddr
from pathlib import Path

import boto3

from adapters.mail.outbox import OutboxFolderMailer
from tests.conftest import CORPUS
from tests.corpus_mail import organizer_of


def cis(
    data: Path, endpoint: str, queue: str | None, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CIS_DATA_DIR": str(data), "AWS_ENDPOINT_URL": endpoint}
    env.pop("SQS_URL", None)
    if queue is not None:
        env["SQS_URL"] = queue
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_an_update_ingested_by_one_process_is_sent_by_the_worker(
    tmp_path: Path, endpoint: str
) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    queue = sqs.create_queue(QueueName=f"work-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    first = str(CORPUS / "update/gcal-selfsent-seq0.ics")
    organizer = organizer_of(Path(first).read_bytes())  # a bare .ics: sent from its organizer
    created = cis(tmp_path, endpoint, queue, "ingest", "--from", organizer, first)
    invite = json.loads(created.stdout)["invite"]
    guests = tmp_path / "guests.csv"
    guests.write_text("email\nann@example.org\nben@example.org\n")
    sent = cis(tmp_path, endpoint, queue, "send", invite, "--csv", str(guests), "--yes")
    assert sent.returncode == 0, sent.stderr
    second = str(CORPUS / "update/gcal-selfsent-seq1.ics")
    update = cis(tmp_path, endpoint, queue, "ingest", "--from", organizer, second)
    assert json.loads(update.stdout)["outcome"] == "updated"
    sqs.send_message(QueueUrl=queue, MessageBody="{not a job")

    worked = cis(tmp_path, endpoint, queue, "work")
    assert worked.returncode == 1  # the poison message stays for the dead-letter queue
    lines = [json.loads(line) for line in worked.stdout.splitlines()]
    assert sorted(line["outcome"] for line in lines) == ["done", "unreadable"]
    [done] = [line for line in lines if line["outcome"] == "done"]
    assert done["job"]["kind"] == "catch-up"
    assert done["recipients"] == {"sent": 2}
    entries = OutboxFolderMailer(tmp_path / "outbox").entries()
    copies = Counter((parseaddr(e.to)[1], e.sequence) for e in entries if e.method)
    assert copies == {(a, s): 1 for a in ("ann@example.org", "ben@example.org") for s in (0, 1)}


def test_work_without_a_queue_says_what_to_set(tmp_path: Path, endpoint: str) -> None:
    result = cis(tmp_path, endpoint, None, "work")
    assert result.returncode == 2
    assert "SQS_URL" in result.stderr
