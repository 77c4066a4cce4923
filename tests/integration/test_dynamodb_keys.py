"""No hot key and one write per save: every DynamoDB call recorded by a botocore hook."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from moto import mock_aws

from adapters.storage.dynamodb.factory import DynamoDBFactory

AGGREGATES = 25


class Reply(Aggregate):
    """A stand-in for an invite: created, then answered."""

    def __init__(self, invite: str) -> None:
        self.invite = invite
        self.answer = ""

    @event("Answered")
    def answer_with(self, answer: str) -> None:
        self.answer = answer


class Calls:
    """Every DynamoDB operation and the primary keys that writes touch."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self.write_keys: list[set[str]] = []

    def hook(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        """Record one call (botocore's provide-client-params event)."""
        self.operations.append(model.name)
        if model.name == "TransactWriteItems":
            self.write_keys.append(
                {next(iter(op.values()))["Item"]["pk"]["S"] for op in params["TransactItems"]}
            )


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Application[UUID]]:
    """An Application on a fresh moto table, with the notification log left off (the default)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        env = {
            "PERSISTENCE_MODULE": "adapters.storage.dynamodb.factory",
            "DYNAMODB_TABLE": f"keys-{uuid4().hex[:12]}",
            "DYNAMODB_CREATE_TABLE": "y",
        }
        yield Application[UUID](env=env)


def watch(app: Application[UUID]) -> Calls:
    """Start recording the calls of the app's one DynamoDB client."""
    factory = app.factory
    assert isinstance(factory, DynamoDBFactory)
    calls = Calls()
    factory.table.client.meta.events.register("provide-client-params.dynamodb.*", calls.hook)
    return calls


def test_unrelated_saves_share_no_key_and_cost_one_write_each(app: Application[UUID]) -> None:
    calls = watch(app)
    ids: list[UUID] = []
    for n in range(AGGREGATES):
        reply = Reply(f"invite-{n}")
        app.save(reply)  # Created.
        reply.answer_with("ACCEPTED")
        app.save(reply)  # Answered.
        ids.append(reply.id)

    # Exactly one write call per save, and nothing else was called while saving.
    assert calls.operations == ["TransactWriteItems"] * (2 * AGGREGATES)
    # Each save writes only its own aggregate's stream key ...
    assert calls.write_keys == [{f"stream#{i}"} for i in ids for _ in range(2)]
    # ... so no key is written by two unrelated aggregates (save n belongs to ids[n // 2]).
    writers: dict[str, set[UUID]] = defaultdict(set)
    for n, keys in enumerate(calls.write_keys):
        for key in keys:
            writers[key].add(ids[n // 2])
    assert len(writers) == AGGREGATES
    assert all(len(owners) == 1 for owners in writers.values())


def test_loading_queries_one_partition_and_never_scans(app: Application[UUID]) -> None:
    reply = Reply("invite")
    reply.answer_with("DECLINED")
    app.save(reply)
    calls = watch(app)
    loaded: Reply = app.repository.get(reply.id)
    assert loaded.answer == "DECLINED"
    assert calls.operations == ["Query"]
    assert "Scan" not in calls.operations
