"""The RSVP report at scale: cost per row at 100,000 recipients against 1,000, and against the
JSON attendee listing of the same rows.

One SQLite data folder (the embedded default) holds two invites of one organizer, sent to
1,000 and to 100,000 recipients (half of them answered), their deliveries and replies fed
through the real projector into the views, and each invite's own stream in the event store
(the report finds the invite there). Each round times, alternating sides, through the reading
front door as ``cis report`` and the API use it:
  - the report as ``cis report --csv`` writes it (rows streamed from the views into the CSV
    file, a page at a time), per row, at 1,000 and at 100,000 recipients;
  - the JSON attendee listing of the same invite (every page of ``GET
    /v1/invites/{id}/attendees``, 200 rows a page, each page as JSON), per row.
Then ``cis report --csv`` end to end in a child process per invite: its seconds and its peak
resident memory (a report streams, so the two peaks should be alike).
Targets: per row at 100,000 <= 1.2x per row at 1,000; the report <= 2x the JSON listing.
Usage: python -m bench.report [--small N] [--big N] [--rounds N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

from application.projections.projector import Projector
from application.projections.staging import Staging
from application.reading.front_door import Reading
from application.reading.report import ReportRow
from bench.projections import invite_with_audience
from bench.scratch import scratch
from domain.api_keys import Principal, Scope
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings

ORGANIZER = "org0@example.com"  # who bench.projections' invites 0, 7, 14… belong to
SMALL, BIG = 7, 14
LISTING_PAGE = 200  # the API's largest page


def seeded(folder: Path, small: int, big: int) -> tuple[Container, dict[int, UUID]]:
    """Return a container over a data folder holding the two invites and their audiences.

    The audiences' events go through the real projector into memory and are written as a
    rebuild (``cis replay``) writes them: about half a minute for 100,000 recipients, half
    what committing session by session into SQLite takes.
    """
    container = bootstrap(Settings(data_dir=folder, mail_domain="invites.example"))
    store, views = container.store(), container.views()
    staged, projector = Staging(), Projector(counting=False)
    ids: dict[int, UUID] = {}
    for number, audience in ((SMALL, small), (BIG, big)):
        store.save(next(invite_with_audience(number, 0)))
        for aggregate in invite_with_audience(number, audience):
            ids.setdefault(audience, aggregate.id)
            for event in aggregate.collect_events():
                projector.project(staged, event)  # type: ignore[arg-type]
    for batch in staged.batches(5000, projector.counts, views.in_write_order):
        views.commit(batch)
    container.projections().run()  # the invites' own stored events: nothing new to apply
    return container, ids


def report_csv(reading: Reading, invite: UUID) -> int:
    """Write the invite's report as ``cis report --csv`` does (to nowhere); return its rows."""
    rows = 0

    def counted() -> Iterator[ReportRow]:
        nonlocal rows
        for row in reading.report(str(invite)):
            rows += 1
            yield row

    for _ in reading.report_file_pieces(counted()):
        pass
    return rows


def json_listing(reading: Reading, principal: Principal, invite: UUID) -> int:
    """Read every page of the invite's attendee listing as JSON; return its rows."""
    rows, cursor = 0, None
    while True:
        page = reading.attendees_for(principal, invite, cursor=cursor, limit=LISTING_PAGE)
        json.dumps({"items": page.items, "next_cursor": page.cursor})
        rows += len(page.items)
        if page.cursor is None:
            return rows
        cursor = page.cursor


def per_row_us(work: Callable[[], int], repeat: int) -> float:
    """Return µs per row of ``repeat`` runs of ``work`` (which returns its row count)."""
    began, rows = time.perf_counter(), 0
    for _ in range(repeat):
        rows += work()
    return (time.perf_counter() - began) / rows * 1e6


def cis_report(folder: Path, invite: UUID) -> tuple[float, float]:
    """Return the seconds and peak RSS (MiB) of ``cis report INVITE --csv FILE`` in a child
    process over the data folder."""
    env = {**os.environ, "CIS_DATA_DIR": str(folder), "CIS_MAIL_DOMAIN": "invites.example"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.report", "--child", str(invite)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, peak = done.stdout.split()[-2:]
    return float(seconds), float(peak)


def child(invite: str) -> None:
    """Run ``cis report INVITE --csv`` here; print its seconds and this process's peak RSS."""
    from entrypoints.cli import app

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=scratch()) as tmp:
        app(["report", invite, "--csv", str(Path(tmp) / "report.csv")], standalone_mode=False)
    took = time.perf_counter() - began
    print(took, peak_rss_mib())


def peak_rss_mib() -> float:
    """Return this process's peak resident memory (MiB): its own since exec, where getrusage's
    ru_maxrss would start from the parent's peak at fork."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def spread(timings: dict[str, list[float]]) -> str:
    """Return each side's fastest and slowest round, in µs per row."""
    return ", ".join(f"{name} {min(t):.1f}-{max(t):.1f}" for name, t in timings.items())


def main() -> None:
    """Seed, then time the report and the listing per row, rounds alternating."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--small", type=int, default=1_000)
    options.add_argument("--big", type=int, default=100_000)
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory(dir=scratch()) as tmp:
        began = time.perf_counter()
        container, ids = seeded(Path(tmp), args.small, args.big)
        took = time.perf_counter() - began
        print(f"seeded {args.small:,} + {args.big:,} recipients in {took:.1f} s")
        gc.collect()  # what the seeding left behind is not the report's to sweep
        reading: Reading = container.front_doors().reading
        principal = Principal(Scope.ORGANIZER, ORGANIZER, "bench")
        small, big = ids[args.small], ids[args.big]
        assert report_csv(reading, big) == json_listing(reading, principal, big) == args.big
        # The small side repeats so that each of its timings covers as many rows as the big.
        repeat = max(1, args.big // args.small)
        works: dict[str, Callable[[], float]] = {
            "report small": lambda: per_row_us(lambda: report_csv(reading, small), repeat),
            "report big": lambda: per_row_us(lambda: report_csv(reading, big), 1),
            "listing big": lambda: per_row_us(lambda: json_listing(reading, principal, big), 1),
        }
        timings: dict[str, list[float]] = {name: [] for name in works}
        for _ in range(args.rounds):
            for name, work in works.items():
                timings[name].append(work())
        medians = {name: statistics.median(times) for name, times in timings.items()}
        container.store().close()
        whole = {size: cis_report(Path(tmp), i) for size, i in ids.items()}
    small_us, big_us, listing_us = (
        medians["report small"],
        medians["report big"],
        medians["listing big"],
    )
    rounds = f"(medians of {args.rounds} rounds)"
    print(
        f"report per row: {args.small:,} recipients {small_us:6.2f} µs, {args.big:,} "
        f"{big_us:6.2f} µs: ratio {big_us / small_us:.2f}x (target <= 1.2x) {rounds}"
    )
    print(
        f"report per row at {args.big:,}: {big_us:6.2f} µs vs JSON attendee listing "
        f"{listing_us:6.2f} µs: ratio {big_us / listing_us:.2f}x (target <= 2x) {rounds}"
    )
    print(f"spreads, µs per row, fastest-slowest round: {spread(timings)}")
    (small_s, small_rss), (big_s, big_rss) = whole[args.small], whole[args.big]
    print(
        f"cis report --csv, whole process: {args.small:,} recipients {small_s:.2f} s, "
        f"{small_rss:.0f} MiB peak RSS; {args.big:,} {big_s:.2f} s, {big_rss:.0f} MiB "
        f"(RSS ratio {big_rss / small_rss:.2f}x)"
    )


if __name__ == "__main__":
    main()
