"""The projections Lambda on moto: records read from the event table's real DynamoDB stream,
delivered out of order, repeated or with gaps, end as the embedded runner's views."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import boto3
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from adapters.readmodels import layout
from adapters.readmodels.memory import MemoryReadModel
from application.projections.keys import Partition, Position, StreamPosition
from application.projections.runner import ProjectionRunner
from application.projections.store import ReadModel
from application.send_types import Recipient
from domain.outcomes import Outcome
from entrypoints.aws import projections, runtime
from entrypoints.container import Container, bootstrap
from tests.aws.lambda_events import (
    REGION,
    LambdaContext,
    deployment_settings,
    failed,
    stream_records,
)
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.replies import answer, invitation_calendar

DOMAIN = "invites.example.org"
NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
GUESTS = ["ann@example.org", "ben@example.org", "cho@example.org"]


@dataclass
class World:
    container: Container
    records: list[dict[str, Any]]  # every record of the event table's stream

    def expected(self) -> MemoryReadModel:
        """The views the embedded runner makes of the same events (from the notification log)."""
        views = MemoryReadModel()
        ProjectionRunner(self.container.store(), views).run()
        return views


@pytest.fixture
def world(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """An invite's whole life on moto, its event table streaming NEW_IMAGE records."""
    # In-process moto answers DynamoDB Streams only without account-id endpoints.
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    # The notification log is on only so the embedded runner can make the expected views
    # (and its items are more records the handler must pass over).
    monkeypatch.setenv("DYNAMODB_NOTIFICATIONS", "y")
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
    boto3.client("ses", region_name=REGION).verify_domain_identity(Domain=DOMAIN)
    container = bootstrap(
        deployment_settings(tmp_path, run, mail_domain=DOMAIN, dynamodb_table=table)
    )
    live(container)
    runtime.reset(container)
    try:
        yield World(container, stream_records(table))
    finally:
        runtime.reset(None)


def live(container: Container) -> None:
    """Create, send, answer, update, answer again, and snapshot the invite."""
    service = driver(container)
    invite = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    assert invite.invite is not None
    service.send(str(invite.invite), [Recipient(g) for g in GUESTS], now=NOW)
    reply(container, GUESTS[0], "ACCEPTED", NOW)
    reply(container, GUESTS[1], "DECLINED", NOW)
    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    assert from_organizer(service, update, now=NOW + timedelta(hours=1)).outcome is Outcome.UPDATED
    reply(container, GUESTS[2], "TENTATIVE", NOW + timedelta(hours=2))
    service.take_snapshot(invite.invite)


def reply(container: Container, guest: str, partstat: str, now: datetime) -> None:
    """Answer the newest invitation SES sent ``guest``, to its reply address."""
    sent = [
        m
        for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        if m.destinations[0] == guest
    ]
    calendar = invitation_calendar(sent[-1].raw_data.encode())
    assert calendar is not None
    data, address = answer(calendar, guest, partstat)
    result = driver(container).ingest(data, now=now, envelope_to=address)
    assert result.outcome is Outcome.RSVP


def project(records: list[dict[str, Any]]) -> list[str]:
    """Run the projections handler on one batch; return the sequence numbers it failed."""
    return failed(projections.handler({"Records": records}, LambdaContext()))


def in_batches(records: list[dict[str, Any]], size: int) -> None:
    """Deliver records in order, in batches, as Lambda does for a healthy shard."""
    for start in range(0, len(records), size):
        assert project(records[start : start + size]) == []


def key(record: dict[str, Any]) -> tuple[str, str]:
    keys = record["dynamodb"]["Keys"]
    return keys["pk"]["S"], keys["sk"]["N"]


def kind(record: dict[str, Any]) -> str:
    return str(record["dynamodb"].get("NewImage", {}).get("topic", {}).get("S", "")).partition(":")[
        2
    ]


def number(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def stream_of(record: dict[str, Any]) -> StreamPosition:
    """The read-model position of the event store's stream a record belongs to."""
    return StreamPosition(key(record)[0].removeprefix("stream#"))


def normal(data: Any) -> Any:
    return json.loads(json.dumps(data))


def assert_same_views(actual: ReadModel, expected: MemoryReadModel) -> None:
    """Every partition, counter and stream position the runner made, the handler made too."""
    items: set[Partition] = set()
    counters: set[Partition] = set()
    positions: dict[Position, int] = {}
    for batch in expected.batches(100_000):
        items |= {pk for pk, _ in batch.puts}
        counters |= {pk for pk, _ in batch.adds}
        positions |= {
            s: new for s, (_, new) in batch.tracking.items() if isinstance(s, StreamPosition)
        }
    assert items
    assert positions
    for pk in sorted(items, key=layout.partition):
        rows = [(i.sk, normal(i.data)) for i in actual.query(pk, limit=1000)]
        assert rows == [(i.sk, normal(i.data)) for i in expected.query(pk, limit=1000)], pk
    for pk in sorted(counters, key=layout.partition):
        counts = {sk: n for sk, n in actual.counters(pk).items() if n}
        assert counts == {sk: n for sk, n in expected.counters(pk).items() if n}, pk
    for stream, version in positions.items():
        assert actual.position(stream) == version, stream


def test_the_stream_holds_more_than_events(world: World) -> None:
    prefixes = {key(r)[0].partition("#")[0] for r in world.records}
    assert {"stream", "snapshot", "notification"} <= prefixes
    assert {r["eventName"] for r in world.records} == {"INSERT", "MODIFY"}  # the log's counter


def test_records_in_order_project_as_the_embedded_runner_does(world: World) -> None:
    in_batches(world.records, 100)
    assert_same_views(world.container.views(), world.expected())


def test_a_batch_out_of_order_and_repeated_projects_the_same(world: World) -> None:
    # One transaction writes several events of a stream; a change stream orders per item.
    assert project(world.records[::-1]) == []
    in_batches(world.records, 7)  # everything again: nothing changes
    assert project(world.records[::-1]) == []
    assert_same_views(world.container.views(), world.expected())


def test_a_gap_fails_the_record_and_every_later_one_until_redelivered(world: World) -> None:
    records = world.records
    first = next(r for r in records if kind(r) == "Invite.Created")
    later = next(r for r in records if int(key(r)[1]) >= 2 and kind(r).startswith("Delivery."))
    other = next(r for r in records if kind(r) == "Delivery.Invited" and key(r)[0] != key(later)[0])
    unreadable = {**first, "dynamodb": {**first["dynamodb"], "SequenceNumber": "1"}}
    del unreadable["dynamodb"]["NewImage"]

    failures = project([first, later, unreadable, other])
    assert failures == [number(later), "1", number(other)]
    views = world.container.views()
    assert views.position(stream_of(first)) == 1  # before the gap: done
    assert views.position(stream_of(other)) == 0  # after it: not tried

    in_batches(records, 10)  # the shard delivered again from the checkpoint
    assert_same_views(views, world.expected())


def test_a_stream_without_images_is_a_clear_failure(world: World) -> None:
    record = next(r for r in world.records if kind(r) == "Invite.Created")
    keys_only = {**record, "dynamodb": {**record["dynamodb"], "StreamViewType": "KEYS_ONLY"}}
    del keys_only["dynamodb"]["NewImage"]
    assert project([keys_only]) == [number(record)]
    assert world.container.views().position(stream_of(record)) == 0
