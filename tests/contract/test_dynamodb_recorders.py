"""eventsourcing's own recorder contract cases, run on the DynamoDB module under moto."""

from __future__ import annotations

import os
from unittest import TestCase, mock
from uuid import uuid4

import pytest
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactoryError,
    IntegrityError,
    ProgrammingError,
    StoredEvent,
    Tracking,
)
from eventsourcing.tests import persistence as base
from eventsourcing.utils import Environment
from moto import mock_aws

from adapters.storage.dynamodb.application import DynamoApplicationRecorder
from adapters.storage.dynamodb.events import DynamoAggregateRecorder
from adapters.storage.dynamodb.factory import DynamoDBFactory
from adapters.storage.dynamodb.tracking import DynamoProcessRecorder, DynamoTrackingRecorder

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
MODULE = "adapters.storage.dynamodb.factory"


def moto_env(notifications: str = "n") -> dict[str, str]:
    """Settings for a fresh, small table (moto slows down as tables grow)."""
    return {
        "PERSISTENCE_MODULE": MODULE,
        "DYNAMODB_TABLE": f"events-{uuid4().hex[:12]}",
        "DYNAMODB_CREATE_TABLE": "y",
        "DYNAMODB_NOTIFICATIONS": notifications,
        "REGION": "us-east-1",
    }


def start_moto(case: TestCase) -> None:
    """Fake credentials and an in-process AWS for the length of one test."""
    env = mock.patch.dict(os.environ, FAKE_AWS)
    env.start()
    case.addCleanup(env.stop)
    aws = mock_aws()
    aws.start()
    case.addCleanup(aws.stop)  # Runs before env.stop: cleanups are last in, first out.


class MotoCase(TestCase):
    """Each test gets its own moto backend and a new table."""

    notifications = "n"

    def setUp(self) -> None:
        start_moto(self)
        self.factory = DynamoDBFactory(moto_env(self.notifications))
        super().setUp()


def events(count: int) -> list[StoredEvent]:
    """``count`` consecutive events of one new aggregate."""
    originator_id = uuid4()
    return [StoredEvent(originator_id, v, "topic", b"state") for v in range(1, count + 1)]


class TestAggregateRecorder(MotoCase, base.AggregateRecorderTestCase):
    def create_recorder(self) -> DynamoAggregateRecorder:
        recorder = self.factory.aggregate_recorder()
        assert isinstance(recorder, DynamoAggregateRecorder)
        return recorder

    def test_save_of_100_items_fits_in_one_transaction(self) -> None:
        recorder = self.create_recorder()
        batch = events(100)
        recorder.insert_events(batch)
        assert len(recorder.select_events(batch[0].originator_id)) == 100

    def test_save_over_100_items_is_refused_clearly_and_writes_nothing(self) -> None:
        """Replaces the >99-events-in-one-save cases: DynamoDB transactions cap at 100 items."""
        recorder = self.create_recorder()
        batch = events(101)
        with pytest.raises(ProgrammingError, match="at most 100 items"):
            recorder.insert_events(batch)
        assert recorder.select_events(batch[0].originator_id) == []

    def test_snapshots_have_their_own_key_space(self) -> None:
        store = self.create_recorder()
        snapshots = self.factory.aggregate_recorder(purpose="snapshots")
        event = events(1)[0]
        store.insert_events([event])
        assert snapshots.select_events(event.originator_id) == []
        snapshots.insert_events([event])  # Same id and version: no clash with the stream.
        assert len(snapshots.select_events(event.originator_id)) == 1


class TestApplicationRecorder(MotoCase, base.ApplicationRecorderTestCase[ApplicationRecorder]):
    notifications = "y"

    def create_recorder(self) -> DynamoApplicationRecorder:
        return self.factory.application_recorder()

    # The signature is the base case's, which pytest never parametrizes.
    def test_concurrent_no_conflicts(self, initial_position: int = 0) -> None:  # noqa: PT028
        """Overridden: 10 threads writing 100-event saves; moto's transactions are not
        thread-safe, and a 100-event save needs 201 items with the log on (limit 100).
        ``test_interleaved_writers_get_contiguous_ids`` checks the ids instead."""

    def test_concurrent_throughput(self) -> None:
        """Overridden: 4 threads writing 50-event saves (101 items with the log on) on moto,
        whose in-process transactions are not thread-safe; it measures nothing real anyway."""

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_interleaved_writers_get_contiguous_ids(self) -> None:
        first, second = self.create_recorder(), self.create_recorder()
        ids: list[int] = []
        for _ in range(5):
            ids += first.insert_events(events(3)) or []
            ids += second.insert_events(events(2)) or []
        assert ids == list(range(1, 26))
        log = first.select_notifications(start=None, limit=100)
        assert [n.id for n in log] == ids

    def test_a_moved_counter_is_read_again_not_a_conflict(self) -> None:
        recorder, rival = self.create_recorder(), self.create_recorder()
        real = recorder.max_notification_id
        calls: list[int | None] = []

        def stale_then_real() -> int | None:
            value = real()
            if not calls:  # Rival commits after we read: our counter condition must fail.
                rival.insert_events(events(1))
            calls.append(value)
            return value

        with mock.patch.object(recorder, "max_notification_id", stale_then_real):
            assert recorder.insert_events(events(2)) == [2, 3]
        assert calls == [None, 1]

    def test_log_on_save_limit_counts_counter_and_log_items(self) -> None:
        recorder = self.create_recorder()
        assert len(recorder.insert_events(events(49)) or []) == 49  # 1 + 2 * 49 = 99
        with pytest.raises(ProgrammingError, match="at most 100 items"):
            recorder.insert_events(events(50))
        assert recorder.max_notification_id() == 49

    def test_log_spans_id_shards(self) -> None:
        recorder = self.create_recorder()
        with mock.patch("adapters.storage.dynamodb.application.SHARD_SIZE", 4):
            for _ in range(5):
                recorder.insert_events(events(3))
            log = recorder.select_notifications(start=2, limit=9, stop=12)
            assert [n.id for n in log] == list(range(2, 11))


class TestDefaultApplicationRecorder(MotoCase):
    """The hot-key-free default: no log, yet Application-compatible saves and loads."""

    def test_saves_and_reads_streams_without_a_log(self) -> None:
        recorder = self.factory.application_recorder()
        batch = events(3)
        assert recorder.insert_events(batch) is None
        assert len(recorder.select_events(batch[0].originator_id)) == 3
        assert recorder.select_notifications(None, 10) == []
        assert recorder.max_notification_id() is None
        with pytest.raises(IntegrityError):
            recorder.insert_events(batch[:1])


class TestTrackingRecorder(MotoCase, base.TrackingRecorderTestCase):
    def create_recorder(self) -> DynamoTrackingRecorder:
        return self.factory.tracking_recorder()


class TestProcessRecorder(MotoCase, base.ProcessRecorderTestCase):
    def create_recorder(self) -> DynamoProcessRecorder:
        return self.factory.process_recorder()

    def test_tracking_conflict_writes_no_events(self) -> None:
        recorder = self.create_recorder()
        recorder.insert_events([], tracking=Tracking("upstream", 5))
        batch = events(2)
        with pytest.raises(IntegrityError):
            recorder.insert_events(batch, tracking=Tracking("upstream", 5))
        assert recorder.select_events(batch[0].originator_id) == []


class CustomTrackingRecorder(DynamoTrackingRecorder):
    """A subclass, to check the factory honours a given tracking recorder class."""


class TestFactory(base.InfrastructureFactoryTestCase[DynamoDBFactory]):
    def setUp(self) -> None:
        start_moto(self)
        self.env = Environment("TestCase", moto_env())
        super().setUp()

    def expected_factory_class(self) -> type[DynamoDBFactory]:
        return DynamoDBFactory

    def expected_aggregate_recorder_class(self) -> type[DynamoAggregateRecorder]:
        return DynamoAggregateRecorder

    def expected_application_recorder_class(self) -> type[DynamoApplicationRecorder]:
        return DynamoApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[DynamoTrackingRecorder]:
        return DynamoTrackingRecorder

    def tracking_recorder_subclass(self) -> type[DynamoTrackingRecorder]:
        return CustomTrackingRecorder

    def expected_process_recorder_class(self) -> type[DynamoProcessRecorder]:
        return DynamoProcessRecorder

    def test_constructing_makes_no_aws_call(self) -> None:
        factory = DynamoDBFactory(moto_env())
        assert factory.table._client is None

    def test_missing_table_name_is_reported(self) -> None:
        with pytest.raises(InfrastructureFactoryError, match="DYNAMODB_TABLE"):
            DynamoDBFactory({"PERSISTENCE_MODULE": MODULE})
