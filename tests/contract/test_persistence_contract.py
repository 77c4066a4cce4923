"""One suite for the event store behind the invite service, run on POPO and on SQLite."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import cast
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from application.send_types import Recipient
from domain.delivery import Delivery, delivery_id
from domain.invite import Invite
from domain.outcomes import Outcome
from domain.reply_tokens import reply_token
from domain.suppressions import ALL, Suppression, SuppressionReason, suppression_id
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import as_sent, from_organizer
from tests.driver import Driver, driver

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
SEQUENCE_FILES = [
    "request/tb-single-event.eml",
    "update/tb-update-minor.eml",
    "cancel/tb-cancel-single-event.eml",
    "request/bluemind-invite.eml",
    "update/bluemind-invite-update.eml",
    "reply/google-reply-accepted.ics",
]


@pytest.fixture(params=["memory", "embedded"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Driver:
    return driver(bootstrap(Settings(backend=request.param, data_dir=tmp_path / "data")))


def replayed(service: Driver, aggregate_id: UUID) -> Aggregate:
    """Rebuild an aggregate from every stored event, ignoring snapshots."""
    # EventStore.get is typed as yielding DomainEventProtocol; what it stores are the
    # aggregates' own events, which can mutate an aggregate.
    events = cast("Iterator[Aggregate.Event]", service.events.get(aggregate_id))
    aggregate: Aggregate | None = None
    for event in events:
        aggregate = event.mutate(aggregate)
    assert aggregate is not None
    return aggregate


def test_ingest_then_read_back(service: Driver) -> None:
    outcomes = [
        as_sent(service, (CORPUS / name).read_bytes(), now=NOW).outcome for name in SEQUENCE_FILES
    ]
    assert outcomes == [
        Outcome.CREATED,
        Outcome.UPDATED,
        Outcome.CANCELLED,
        Outcome.CREATED,
        Outcome.UPDATED,
        Outcome.RSVP,
    ]
    assert service.show("02e79b96").status == "cancelled"
    # Created, Scheduled, Updated, Cancelled, and a SenderNoted for each of the three messages.
    assert [e.timestamp for e in service.history("02e79b96")] == [NOW] * 7


def test_loading_from_a_snapshot_equals_replaying_every_event(service: Driver) -> None:
    template = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    for sequence in range(120):
        raw = template.replace(b"SEQUENCE:0", f"SEQUENCE:{sequence}".encode())
        assert from_organizer(service, raw, now=NOW).outcome in {Outcome.CREATED, Outcome.UPDATED}
    invite = service.show("burgos@google.com")
    assert (invite.sequence, invite.update_count) == (119, 119)
    assert service.snapshots is not None
    assert list(service.snapshots.get(invite.invite))
    loaded: Invite = service.repository.get(invite.invite)
    assert vars(loaded) == vars(replayed(service, invite.invite))


def test_concurrent_deliveries_of_one_invite_converge(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    driver(bootstrap(settings))  # creates the tables before the race
    versions = [
        (CORPUS / "update/gcal-selfsent-seq0.ics")
        .read_bytes()
        .replace(b"SEQUENCE:0", f"SEQUENCE:{n}".encode())
        for n in range(12)
    ]
    errors: list[BaseException] = []

    def deliver(batch: list[bytes]) -> None:
        worker = driver(bootstrap(settings))
        try:
            for raw in batch:
                from_organizer(worker, raw, now=NOW)
        except BaseException as exc:  # collected: a thread's exception would vanish
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(versions[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    invite = driver(bootstrap(settings)).show("burgos@google.com")
    assert invite.sequence == 11


def test_loading_many_at_once_equals_loading_each(service: Driver) -> None:
    template = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    created = from_organizer(service, template, now=NOW)
    assert created.invite is not None
    people = [f"guest{n}@example.org" for n in range(5)]
    service.send(str(created.invite), [Recipient(p) for p in people], now=NOW)
    secret = service.container.sending_settings().secret
    deliveries = [delivery_id(reply_token(secret, created.invite, p)) for p in people]
    suppressed = Suppression(address="nobody@example.org", timestamp=NOW)
    suppressed.add(ALL, SuppressionReason.COMPLAINT, NOW)
    service.save(suppressed)
    missing = suppression_id("someone-else@example.org")
    asked = [*deliveries, suppressed.id, missing, created.invite, deliveries[0]]
    found = service.store.load_many(asked)
    assert set(found) == {*deliveries, suppressed.id, created.invite}
    assert {type(a) for a in found.values()} == {Delivery, Suppression, Invite}
    for stream, aggregate in found.items():
        alone = service.load(type(aggregate), stream)
        assert alone is not None
        assert vars(aggregate) == vars(alone)
