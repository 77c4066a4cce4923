"""``cis aws replay`` on moto: a parallel Scan of the event table rebuilds exactly the views
the embedded runner makes from the notification log, and running it again changes nothing."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import boto3
import pytest
from typer.testing import CliRunner

from adapters.mail.outbox import OutboxFolderMailer
from adapters.readmodels import layout
from adapters.readmodels.memory import MemoryReadModel
from adapters.storage.dynamodb.factory import DynamoDBFactory
from adapters.storage.dynamodb.scan import scan_events
from application.projections.keys import SUMMARY, InviteItems, LogPosition
from application.projections.queries import Reports
from application.projections.runner import ProjectionRunner
from application.projections.store import Batch
from application.send_types import Recipient
from domain.outcomes import Outcome
from entrypoints.cli import app
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver
from tests.replies import answer, invitation_calendar

REGION = "us-east-1"
START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
GUESTS = ["ann@example.org", "ben@example.org", "cho@example.org"]

Views = dict[str, dict[Any, Any]]


@dataclass
class Deployment:
    service: Driver
    invite: UUID
    events_table: str
    views_table: str


@pytest.fixture
def deployment(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    """An invite sent to three guests, updated, answered by two, and a second invite, recorded
    on DynamoDB; the environment is the deployment's, as `cis aws` reads it."""
    # The notification log is on only so the embedded runner can make the expected views;
    # its items (and a snapshot) share the table with the events the scan must pick out.
    secret = base64.b64encode(os.urandom(32)).decode()
    environment = {
        "DYNAMODB_NOTIFICATIONS": "y",
        "CIS_BACKEND": "aws",
        "CIS_DATA_DIR": str(tmp_path),
        "CIS_SECRET": secret,
        "CIS_CREATE_TABLES": "true",
        "DYNAMODB_TABLE": "events",
        "VIEWS_TABLE": "views",
        "MAIL_BUCKET": "mail",
        "REGION": REGION,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="mail")
    service = driver(bootstrap(Settings()))
    outbox = tmp_path / "outbox"

    request = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    invite = from_organizer(service, request, now=START).invite
    assert invite is not None
    service.send(str(invite), [Recipient(g, origin="bulk") for g in GUESTS], now=START)
    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    later = START + timedelta(hours=1)
    assert from_organizer(service, update, now=later).outcome is Outcome.UPDATED
    # The update reached every guest (SEQUENCE 1); two of them answer it.
    sent = {e.to: e.path for e in OutboxFolderMailer(outbox).entries() if e.sequence == 1}
    for guest, partstat, fixture in (
        (GUESTS[0], "ACCEPTED", "reply/google-reply-accepted.ics"),
        (GUESTS[1], "DECLINED", "reply/google-reply-declined.ics"),
    ):
        calendar = invitation_calendar(sent[guest].read_bytes())
        assert calendar is not None
        data, address = answer(calendar, guest, partstat, fixture)
        assert service.ingest(data, now=later, envelope_to=address).outcome is Outcome.RSVP
    other = (CORPUS / "cancel/google-cancel-orig-request.ics").read_bytes()
    assert from_organizer(service, other, now=later).outcome is Outcome.CREATED
    service.take_snapshot(invite)
    return Deployment(service, invite, "events", "views")


def replay(*args: str) -> dict[str, int]:
    """Run `cis aws replay`; return its one JSON line."""
    result = CliRunner().invoke(app, ["aws", "replay", *args])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    summary: dict[str, int] = json.loads(lines[0])
    return summary


def stored_views(table: str) -> Views:
    """Everything in the DynamoDB views table, decoded from its key spaces and the layout."""
    client = boto3.client("dynamodb", region_name=REGION)
    views: Views = {"items": {}, "counters": {}, "positions": {}}
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if pk.startswith("#c#"):
                if int(item["n"]["N"]):
                    partition = layout.parse_partition(pk[3:])
                    views["counters"][(partition, sk[1:])] = int(item["n"]["N"])
            elif pk.startswith("#t#"):
                views["positions"][layout.parse_position(pk[3:])] = int(item["version"]["N"])
            else:
                partition = layout.parse_partition(pk[1:])
                views["items"][(partition, sk[1:])] = json.loads(item["data"]["S"])
    return views


def runner_views(service: Driver) -> tuple[Views, int]:
    """What the embedded runner makes of the notification log, and the events it applied."""
    memory = MemoryReadModel()
    applied = ProjectionRunner(service.store, memory).run()
    views: Views = {"items": {}, "counters": {}, "positions": {}}
    for batch in memory.batches(1000):
        for key, (data, _) in batch.puts.items():
            views["items"][key] = json.loads(json.dumps(data))
        views["counters"].update({key: n for key, n in batch.adds.items() if n})
        views["positions"].update(
            {
                stream: new
                for stream, (_, new) in batch.tracking.items()
                # A scan has no log position to keep; every stream's, and the views' version.
                if not isinstance(stream, LogPosition)
            }
        )
    return views, applied


def test_replay_rebuilds_the_runners_views_from_a_scan_and_repeats_harmlessly(
    deployment: Deployment,
) -> None:
    views = bootstrap(Settings()).views()
    views.commit(Batch(puts={(InviteItems("stale"), SUMMARY): ({"left": "over"}, 0)}))
    expected, applied = runner_views(deployment.service)
    log = deployment.service.recorder.select_notifications(1, 10_000)
    streams = {str(n.originator_id) for n in log}

    first = replay("--segments", "3")

    assert first == {"scanned": len(log), "applied": applied, "streams": len(streams)}
    assert stored_views(deployment.views_table) == expected
    statistics = Reports(views).statistics(deployment.invite)
    assert statistics is not None
    assert statistics["invited"] == 3
    assert (statistics["by_status"]["accepted"], statistics["by_status"]["declined"]) == (1, 1)

    again = replay()

    assert again == first
    assert stored_views(deployment.views_table) == expected


def test_scan_returns_each_event_once_and_skips_other_items(deployment: Deployment) -> None:
    factory = deployment.service.factory
    assert isinstance(factory, DynamoDBFactory)
    pages: list[int] = []
    client = boto3.client("dynamodb", region_name=REGION)
    kinds = {
        item["pk"]["S"].split("#", 1)[0]
        for page in client.get_paginator("scan").paginate(TableName=deployment.events_table)
        for item in page["Items"]
    }
    assert {"stream", "snapshot", "notification"} <= kinds

    events = scan_events(factory.table, segments=5, progress=pages.append)

    log = deployment.service.recorder.select_notifications(1, 10_000)
    assert sorted((str(e.originator_id), e.originator_version) for e in events) == sorted(
        (str(n.originator_id), n.originator_version) for n in log
    )
    assert {(e.topic, e.state) for e in events} == {(n.topic, n.state) for n in log}
    assert sum(pages) == len(log)


def test_replay_refuses_a_deployment_that_is_not_on_aws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CIS_BACKEND", "embedded")

    result = CliRunner().invoke(app, ["aws", "replay"])

    assert result.exit_code == 2
    assert "CIS_BACKEND=aws" in result.stderr
    assert result.stdout == ""


def test_replay_says_which_table_it_could_not_scan(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "CIS_BACKEND": "aws",
        "CIS_DATA_DIR": str(tmp_path),
        "CIS_SECRET": base64.b64encode(os.urandom(32)).decode(),
        "DYNAMODB_TABLE": "no-such-table",
        "REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)

    result = CliRunner().invoke(app, ["aws", "replay"])

    assert result.exit_code == 1
    assert "scanning no-such-table failed: ResourceNotFoundException" in result.stderr
    assert result.stdout == ""
