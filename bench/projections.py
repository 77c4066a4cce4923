"""The read side: rebuild throughput against bare decoding, and dashboard reads at scale.

1. Rebuild: a SQLite event store holds invites, each sent to recipients who answer; the
   rebuild (projecting every event into the SQLite views) is timed against reading and
   decoding the same stored events without projecting, alternating rounds in one run.
   Target: rebuild events/s at least 0.6x the bare decode rate.
2. Reads: the views of one invite with 100,000 attendees and one with 10 (SQLite views);
   median time of its statistics and of one attendee page. Target: each within 2x.
Usage: python -m bench.projections [--invites N] [--recipients N] [--big N] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from uuid import UUID

from eventsourcing.domain import Aggregate

from adapters.readmodels.sqlite import SqliteReadModel
from application.projections.keys import Attendees
from application.projections.projector import Projector
from application.projections.queries import Reports, encode_cursor
from application.projections.runner import ProjectionRunner
from application.projections.session import Session
from application.projections.store import ReadModel
from application.store import InviteStore
from bench.scratch import scratch
from domain.attendance import Attendance, Reply
from domain.delivery import Delivery
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.values import Component, EventDetails, Method
from entrypoints.container import bootstrap
from entrypoints.settings import Settings

START = datetime(2026, 1, 1, tzinfo=UTC)
ANSWERS = ("ACCEPTED", "DECLINED", "TENTATIVE")


def invite_with_audience(number: int, recipients: int) -> Iterator[Aggregate]:
    """Yield an invite (created, updated once), its recipients' deliveries and replies."""
    uid = f"bench-{number}@example.com"
    invite = Invite(
        organizer=f"org{number % 7}@example.com", organizer_name=None, uid=uid, timestamp=START
    )
    for sequence in range(2):
        details = EventDetails(summary=f"Meeting {number}", start="2026-02-02T10:00:00+01:00")
        stamp = START + timedelta(minutes=sequence)
        invite.receive(
            ItipMessage(Method.REQUEST, uid, (Component(sequence, stamp, details=details),)), stamp
        )
    yield invite
    for n in range(recipients):
        address = f"guest{n}@example.org"
        delivery = Delivery(
            token=f"t{number}x{n}",
            invite=invite.id,
            address=address,
            name=None,
            origin="bulk",
            timestamp=START,
        )
        delivery.intend(sequence=0, method="REQUEST", message_id=f"<{number}.{n}>", timestamp=START)
        delivery.sent(sequence=0, where="outbox", timestamp=START)
        yield delivery
        if n % 2 == 0:
            attendance = Attendance(invite=invite.id, address=address, timestamp=START)
            reply = Reply(
                ANSWERS[n % 3],
                START + timedelta(hours=1),
                0,
                channel="server",
                prodid="-//Google Inc//Google Calendar 70.9054//EN",
            )
            attendance.record_reply(reply, START + timedelta(hours=1))
            yield attendance


def fill(store: InviteStore, invites: int, recipients: int) -> int:
    """Store the histories, saving in batches as the use cases do; return the event count."""
    batch: list[Aggregate] = []
    for number in range(invites):
        batch.extend(invite_with_audience(number, recipients))
        if len(batch) > 300:
            store.save(*batch)
            batch = []
    store.save(*batch)
    return store.recorder.max_notification_id() or 0


def decode_all(store: InviteStore) -> int:
    """Read and decode every stored event, page by page, as the runner does; no projecting."""
    start, count = 0, 0
    while page := store.recorder.select_notifications(start, 1000, inclusive_of_start=False):
        for notification in page:
            store.mapper.to_domain_event(notification)
        count += len(page)
        start = page[-1].id
    return count


def median_seconds(work: Callable[[], object], rounds: int) -> float:
    """Return the median wall-clock seconds of ``rounds`` calls of ``work``."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def project_directly(views: ReadModel, aggregates: Iterator[Aggregate]) -> UUID:
    """Project a synthetic audience straight into the views (no event store needed)."""
    projector, session, invite = Projector(), Session(views), None
    for aggregate in aggregates:
        invite = invite or aggregate.id
        for event in aggregate.collect_events():
            projector.project(session, event)  # type: ignore[arg-type]
        if session.events >= 5000:
            session.commit()
    session.commit()
    assert invite is not None
    return invite


def rebuild_ratio(folder: Path, invites: int, recipients: int, rounds: int) -> None:
    store = bootstrap(Settings(data_dir=folder)).store()
    events = fill(store, invites, recipients)
    views = SqliteReadModel(folder / "bench-views.sqlite3")
    runner = ProjectionRunner(store, views)
    decode, rebuild = [], []
    for _ in range(rounds):
        decode.append(median_seconds(lambda: decode_all(store), 1))
        rebuild.append(median_seconds(runner.rebuild, 1))
    decoded, rebuilt = events / statistics.median(decode), events / statistics.median(rebuild)
    print(f"stored events:            {events}")
    print(f"read + decode only:       {decoded:10.0f} events/s (median of {rounds})")
    print(f"rebuild views (SQLite):   {rebuilt:10.0f} events/s (median of {rounds})")
    print(f"ratio rebuild / decode:   {rebuilt / decoded:.2f} (target >= 0.6)")
    views.close()
    store.close()


def read_latency(folder: Path, big: int, rounds: int) -> None:
    views = SqliteReadModel(folder / "bench-scale.sqlite3")
    small_id = project_directly(views, invite_with_audience(10_001, 10))
    big_id = project_directly(views, invite_with_audience(10_002, big))
    reports = Reports(views)
    # Pages of 10, so the small invite's page is as full as the big one's.
    works: tuple[tuple[str, Callable[[UUID], object]], ...] = (
        ("statistics", reports.statistics),
        ("first attendee page", lambda i: reports.attendees(i, limit=10)),
        (
            "a late attendee page",
            lambda i: reports.attendees(i, cursor=_late(reports, i), limit=10),
        ),
    )
    for name, work in works:
        small = median_seconds(partial(work, small_id), rounds)
        large = median_seconds(partial(work, big_id), rounds)
        print(
            f"{name:20} 10 attendees {small * 1e3:7.3f} ms, {big} attendees "
            f"{large * 1e3:7.3f} ms: ratio {large / small:.2f}x (target <= 2x)"
        )
    views.close()


def _late(reports: Reports, invite: UUID) -> str | None:
    # The cursor of the last full page: pages cost the same wherever they are.
    row = reports.store.query(Attendees(str(invite)), descending=True, limit=11)[-1]
    return encode_cursor(row.sk)


def main() -> None:
    """Run both measurements and print medians and ratios."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--invites", type=int, default=200)
    options.add_argument("--recipients", type=int, default=25)
    options.add_argument("--big", type=int, default=100_000)
    options.add_argument("--rounds", type=int, default=5)
    args = options.parse_args()
    with tempfile.TemporaryDirectory(dir=scratch()) as tmp:
        rebuild_ratio(Path(tmp), args.invites, args.recipients, args.rounds)
        read_latency(Path(tmp), args.big, max(50, args.rounds * 20))


if __name__ == "__main__":
    main()
