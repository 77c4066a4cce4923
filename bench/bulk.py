"""Bulk send end to end: one invite to a list, through the embedded server's own wiring.

Each round sends one version to ``--recipients`` new recipients with the real composition
root (SQLite event store, outbox folder mailer, fsyncs on, sender policy off) and, side by
side in the same round, renders the same number of personalized invitations with the
renderer alone (bench.render's audience; each message consumed). The ratio is the sends'
rate over the renderer's (issue 17's target: >= 0.3x). ``--rss`` then runs one child process
per list size and prints each one's end-to-end rate and peak resident memory (target: the
largest list's peak at most 1.2x the smallest's).
Usage: python -m bench.bulk [--recipients N] [--rounds N] [--rss N,N,...]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from adapters.outbound import IcalendarInviteRenderer
from application.send_types import Recipient, SendOutcome
from bench.render import SENDER, audience, realistic_invite
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import driver
from tests.invite_mail import ALICE, calendar, email_of

NOW = datetime.now(UTC)


def send_rate(size: int, folder: Path) -> float:
    """Return recipients/s of one bulk send of a fresh invite to ``size`` new recipients."""
    settings = Settings(data_dir=folder, mail_domain="invites.example", sender_policy="off")
    service = driver(bootstrap(settings))
    created = service.ingest(email_of(calendar(), ALICE), now=NOW, envelope_from=ALICE)
    assert created.invite is not None, created
    # Made as the send reads them, and the results counted as they come: what the send
    # itself holds is what the peak RSS measures, not the bench's own lists.
    people = (
        Recipient(f"guest{n}@example{n % 50}.org", name=f"Guest {n}", origin="bulk")
        for n in range(size)
    )
    start = time.perf_counter()
    pages = service.doors.outbound.send_pages(str(created.invite), people, now=NOW)
    outcomes = Counter(result.outcome for page in pages for result in page)
    took = time.perf_counter() - start
    assert outcomes == {SendOutcome.SENT: size}, outcomes
    service.close()
    return size / took


def render_rate(size: int) -> float:
    """Return invitations/s the renderer alone personalizes for ``size`` recipients."""
    renderer, invite, people = IcalendarInviteRenderer(), realistic_invite(), audience(size)
    start = time.perf_counter()
    for _ in renderer.render(invite, people, sender=SENDER, now=NOW):
        pass
    return size / (time.perf_counter() - start)


def in_child(size: int) -> tuple[float, int]:
    """Return the rate (recipients/s) and peak resident memory (KiB) of a child process
    sending to ``size``."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.bulk", "--child", str(size)],
        check=True,
        capture_output=True,
        text=True,
    )
    rate, peak = done.stdout.split()[-2:]
    return float(rate), int(peak)


def main() -> None:
    """Run the benchmark and print medians, the ratio and the peaks."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--recipients", type=int, default=2_000)
    options.add_argument("--rounds", type=int, default=3)
    options.add_argument("--rss", default="", help="list sizes for peak memory, e.g. 1000,10000")
    options.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as folder:
            rate = send_rate(args.child, Path(folder))
            # The send's peak, taken before the folder goes: removing a million files lists
            # them all at once (shutil.rmtree), a peak of the bench's, not of the send.
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(rate, peak)
        return
    sends, renders = [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as folder:
            sends.append(send_rate(args.recipients, Path(folder)))
        renders.append(render_rate(args.recipients))
    ratio = statistics.median(s / r for s, r in zip(sends, renders, strict=True))
    print(f"bulk send: {args.recipients} new recipients, outbox mailer; {args.rounds} rounds")
    print(f"  end to end (intents, sends, outcomes)  {statistics.median(sends):8.0f} recipients/s")
    print(f"  renderer alone                         {statistics.median(renders):8.0f} invites/s")
    print(f"ratio (median of per-round ratios; target >= 0.3x): {ratio:.3f}x")
    if args.rss:
        sizes = [int(size) for size in args.rss.split(",")]
        runs = {size: in_child(size) for size in sizes}
        for size, (rate, peak) in runs.items():
            print(
                f"  {size:>9} recipients: {rate:8.0f} recipients/s end to end, "
                f"peak RSS {peak / 1024:8.1f} MiB"
            )
        growth = runs[sizes[-1]][1] / runs[sizes[0]][1]
        print(f"peak RSS {sizes[-1]} vs {sizes[0]} (target <= 1.2x): {growth:.2f}x")


if __name__ == "__main__":
    main()
