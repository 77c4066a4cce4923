"""With a work queue, ingesting never waits on an audience: updates and bulk lists are queued
as idempotent jobs, and working them (once or again) reaches everyone exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from uuid import uuid4

import pytest
from dependency_injector import providers

from adapters.mail.outbox import OutboxFolderMailer
from adapters.queues.memory import MemoryWorkQueue
from application.errors import InviteNotFoundError
from application.ports import Job
from application.send_types import Recipient
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver
from tests.integration.test_bulk_mailbox import BULK, ORGANIZER, list_mail

NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
PEOPLE = [f"guest{n}@example.org" for n in range(5)]


def queued(data: Path, bulk_part: int = 500) -> tuple[Driver, MemoryWorkQueue]:
    container = bootstrap(Settings(data_dir=data))
    queue = MemoryWorkQueue()
    container.queue.override(providers.Object(queue))
    container.bulk_part.override(providers.Object(bulk_part))
    return driver(container), queue


def copies(data: Path) -> Counter[tuple[str, int | None]]:
    entries = OutboxFolderMailer(data / "outbox").entries()
    return Counter((parseaddr(e.to)[1], e.sequence) for e in entries if e.method)


def work_all(service: Driver, queue: MemoryWorkQueue) -> list[Job]:
    jobs = []
    while batch := queue.receive(10):
        for received in batch:
            assert received.job is not None
            service.work(received.job, now=NOW)
            jobs.append(received.job)
            queue.done(received)
    return jobs


def test_an_update_is_queued_per_roster_page_and_sent_once_however_often_worked(
    tmp_path: Path,
) -> None:
    service, queue = queued(tmp_path)
    invite = str(
        from_organizer(
            service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
        ).invite
    )
    service.send(invite, [Recipient(p) for p in PEOPLE], now=NOW)
    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    assert from_organizer(service, update, now=NOW).outcome is Outcome.UPDATED
    assert copies(tmp_path) == {(p, 0): 1 for p in PEOPLE}  # nothing sent while ingesting

    [taken] = queue.receive(10)
    assert taken.job is not None
    assert (taken.job.kind, str(taken.job.invite), taken.job.page) == ("catch-up", invite, 0)
    service.work(taken.job, now=NOW)
    queue.give_back()  # the worker died before deleting: the job is delivered again
    assert len(work_all(service, queue)) == 1
    assert copies(tmp_path) == {(p, s): 1 for p in PEOPLE for s in (0, 1)}


def test_a_held_update_is_queued_when_approved(tmp_path: Path) -> None:
    service, queue = queued(tmp_path)
    invite = str(
        from_organizer(
            service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
        ).invite
    )
    service.send(invite, [Recipient(p) for p in PEOPLE[:2]], now=NOW)
    service.registry.review(service.show(invite).organizer, True, now=NOW)
    from_organizer(service, (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes(), now=NOW)
    assert queue.receive(10) == []  # held: nothing to do until the organizer approves
    assert service.approve(invite, now=NOW) == []
    assert [j.kind for j in work_all(service, queue)] == ["catch-up"]
    assert copies(tmp_path) == {(p, s): 1 for p in PEOPLE[:2] for s in (0, 1)}


def test_a_bulk_list_is_split_into_parts_each_sent_once(tmp_path: Path) -> None:
    service, queue = queued(tmp_path, bulk_part=2)
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    invite = str(from_organizer(service, raw, now=NOW).invite)
    csv = ("email\n" + "".join(f"{p}\n" for p in PEOPLE) + "broken\n").encode()
    result = service.ingest(list_mail(ORGANIZER, f"Send {invite}", csv), now=NOW, envelope_to=BULK)
    assert result.outcome is Outcome.BULK
    assert copies(tmp_path) == {}
    jobs = work_all(service, queue)
    assert [(j.first, j.count, j.part, j.parts) for j in jobs] == [
        (0, 2, 1, 3),
        (2, 2, 2, 3),
        (4, 2, 3, 3),
    ]
    for job in jobs:  # every part delivered twice
        service.work(job, now=NOW)
    assert copies(tmp_path) == {(p, 0): 1 for p in PEOPLE}


def test_a_job_for_an_unknown_invite_fails_loudly(tmp_path: Path) -> None:
    service, _ = queued(tmp_path)
    with pytest.raises(InviteNotFoundError, match="queued catch-up job"):
        service.work(Job("catch-up", uuid4()), now=NOW)


class _QueueDown(MemoryWorkQueue):
    """Refuses puts until ``up`` is set, as SQS does in an outage."""

    up = False

    def put(self, jobs: Sequence[Job]) -> None:
        if not self.up:
            raise ConnectionError("queue unreachable")
        super().put(jobs)


def test_an_update_whose_jobs_were_not_queued_fans_out_when_it_comes_back(
    tmp_path: Path,
) -> None:
    container = bootstrap(Settings(data_dir=tmp_path))
    queue = _QueueDown()
    container.queue.override(providers.Object(queue))
    service = driver(container)
    invite = str(
        from_organizer(
            service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
        ).invite
    )
    service.send(invite, [Recipient(p) for p in PEOPLE], now=NOW)
    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    with pytest.raises(ConnectionError):
        from_organizer(service, update, now=NOW)  # saved, but its fan-out never reached the queue
    queue.up = True
    again = from_organizer(service, update, now=NOW)  # the inbound queue delivers the message again
    assert again.outcome is Outcome.DUPLICATE
    work_all(service, queue)
    assert copies(tmp_path) == {(p, s): 1 for p in PEOPLE for s in (0, 1)}
    from_organizer(service, update, now=NOW)  # and again: still one copy each
    work_all(service, queue)
    assert copies(tmp_path) == {(p, s): 1 for p in PEOPLE for s in (0, 1)}
