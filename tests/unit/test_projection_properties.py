"""The read side's promises: views from any interleaving and duplication of the stored events
equal views from the events in order; a rebuild equals the views kept up live; and the
statistics and attendee pages agree with each recipient's answer read straight from the
aggregates."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import DomainEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.mail.outbox import OutboxFolderMailer
from adapters.readmodels.memory import MemoryReadModel
from application.projections.projector import OutOfOrderError, Projector
from application.projections.queries import Reports
from application.projections.runner import ProjectionRunner
from application.projections.session import Session
from application.send_types import Recipient
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver
from tests.replies import answer, invitation_calendar

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
GUESTS = [f"guest{n}@example.org" for n in range(6)]
DOMAIN = "invites.example"


def dump(store: MemoryReadModel) -> dict[str, Any]:
    """Everything a reader can see, without revisions (they count writes, not content)."""
    items = {(pk, i.sk): i.data for pk in list(store._items) for i in store.query(pk, limit=10**6)}
    counters = {
        (pk, k): v for pk in list(store._counters) for k, v in store.counters(pk).items() if v
    }
    return {"items": items, "counters": counters}


def answers(data: Path) -> dict[tuple[str, int], bytes]:
    """The latest invitation each guest received, by (guest, SEQUENCE)."""
    found = {}
    for entry in OutboxFolderMailer(data / "outbox").entries():
        if entry.method == "REQUEST" and entry.sequence is not None:
            found[(entry.to.strip("<>").split()[-1].strip("<>"), entry.sequence)] = (
                entry.path.read_bytes()
            )
    return found


def scenario(data: Path) -> tuple[Driver, list[UUID]]:
    """Two invites sent to guests, replies from several clients, an update, a cancel."""
    service = driver(bootstrap(Settings(backend="memory", data_dir=data, mail_domain=DOMAIN)))
    live = MemoryReadModel()
    runner = ProjectionRunner(service.store, live)
    first = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=START
    )
    second = service.ingest((CORPUS / "request/tb-single-event.eml").read_bytes(), now=START)
    invites = [first.invite, second.invite]
    assert None not in invites
    service.send(str(invites[0]), [Recipient(g, origin="bulk") for g in GUESTS[:4]], now=START)
    runner.run()
    service.send(str(invites[1]), [Recipient(g, origin="vip") for g in GUESTS[2:]], now=START)
    sent = answers(data)
    fixtures = ("reply/google-reply-accepted.ics", "reply/google-reply-declined.ics")
    for n, guest in enumerate(GUESTS[:3]):
        mail = next(v for (to, _), v in sent.items() if to == guest)
        calendar = invitation_calendar(mail)
        assert calendar is not None
        partstat = ("ACCEPTED", "DECLINED", "TENTATIVE")[n]
        data_, address = answer(calendar, guest, partstat, fixtures[n % 2])
        service.ingest(data_, now=START + timedelta(minutes=n), envelope_to=address)
        runner.run()
    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    from_organizer(service, update, now=START + timedelta(hours=1))
    service.cancel(str(invites[1]), now=START + timedelta(hours=2))
    runner.run()
    return service, [i for i in invites if i is not None]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Driver, list[UUID]]:
    return scenario(tmp_path_factory.mktemp("history"))


def events_of(service: Driver) -> list[DomainEvent]:
    stored = service.recorder.select_notifications(1, 10**6)
    return [service.mapper.to_domain_event(n) for n in stored]


def project_in_any_order(events: list[DomainEvent]) -> MemoryReadModel:
    """Project event by event (one commit each), redelivering whatever came too early."""
    store, projector = MemoryReadModel(), Projector()
    waiting = list(events)
    while waiting:
        later = []
        for event in waiting:
            session = Session(store)
            try:
                projector.project(session, event)
            except OutOfOrderError:
                later.append(event)
                continue
            session.commit()
        assert len(later) < len(waiting), "no progress"
        waiting = later
    return store


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), duplicates=st.integers(0, 60))
def test_any_order_and_duplication_gives_the_same_views(
    history: tuple[Driver, list[UUID]], seed: int, duplicates: int
) -> None:
    service, _ = history
    events = events_of(service)
    in_order = project_in_any_order(events)
    rng = random.Random(seed)
    shuffled = events + [rng.choice(events) for _ in range(duplicates)]
    rng.shuffle(shuffled)
    assert dump(project_in_any_order(shuffled)) == dump(in_order)


def test_a_rebuild_equals_the_views_kept_up_live(tmp_path: Path) -> None:
    service, _ = scenario(tmp_path)
    live = MemoryReadModel()
    runner = ProjectionRunner(service.store, live, batch=7)
    runner.run()
    rebuilt = MemoryReadModel()
    counted: list[int] = []
    assert ProjectionRunner(service.store, rebuilt).rebuild(counted.append) > 0
    assert sum(counted) == service.recorder.max_notification_id()
    assert dump(rebuilt) == dump(live)
    assert rebuilt._positions == live._positions  # every stream, and the log, resume alike
    assert runner.run() == 0  # nothing new: nothing applied twice
    assert ProjectionRunner(service.store, rebuilt).run() == 0


def test_statistics_and_attendees_agree_with_each_recipients_own_streams(
    history: tuple[Driver, list[UUID]],
) -> None:
    service, invites = history
    store = MemoryReadModel()
    ProjectionRunner(service.store, store).run()
    reports = Reports(store)
    for invite in invites:
        # The reference: each recipient's own streams (the report itself reads these views).
        rows = [view.row for view in service.doors.reading.recipients(str(invite))]
        statistics = reports.statistics(invite)
        assert statistics is not None
        expected = Counter(row.status for row in rows)
        assert {k: v for k, v in statistics["by_status"].items() if v} == dict(expected)
        assert statistics["invited"] == len(rows)
        assert statistics["by_origin"] == dict(Counter(row.origin for row in rows))
        page = reports.attendees(invite, limit=2)
        listed = page.items
        while page.cursor:
            page = reports.attendees(invite, cursor=page.cursor, limit=2)
            listed += page.items
        assert {a["address"]: a["status"] for a in listed} == {r.address: r.status for r in rows}
    summary = reports.invite(invites[1])
    assert summary is not None
    assert summary["status"] == "cancelled"
    assert reports.system_statistics()["invites"] == 2
