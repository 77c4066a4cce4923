"""The retry rounds of an idle `cis serve`: a full round against a round with no news.

A store is filled with ``--invites`` invites sent to ``--recipients`` each (embedded wiring,
outbox mailer), then rounds alternate: ``cis retry``'s full round over every invite, and the
server's round (``Outbound.retry_due``) with nothing new since the last. Each is printed as a
share of one core at one round a minute (issue 17's target for an idle server: <= 1%),
counting the full round the server still makes every six hours.
Usage: python -m bench.retry_rounds [--invites N] [--recipients N] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from application.send_types import Recipient
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import driver
from tests.invite_mail import ALICE, calendar, email_of

NOW = datetime.now(UTC)


def main() -> None:
    """Fill a store, time both kinds of round, print medians and shares of a core."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--invites", type=int, default=100)
    options.add_argument("--recipients", type=int, default=100)
    options.add_argument("--rounds", type=int, default=5)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder), mail_domain="invites.example", sender_policy="off"
        )
        service = driver(bootstrap(settings))
        for i in range(args.invites):
            mail = email_of(calendar(uid=f"meeting-{i}@example.com"), ALICE)
            created = service.ingest(mail, now=NOW, envelope_from=ALICE)
            people = [
                Recipient(f"guest{i}-{n}@example{n % 9}.org", origin="bulk")
                for n in range(args.recipients)
            ]
            service.send(str(created.invite), people, now=NOW)
        outbound = service.doors.outbound
        pending = outbound.pending_sends()
        outbound.retry_due(pending, now=NOW)  # a process's first round: everything
        outbound.retry_due(pending, now=NOW)
        full, idle = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            outbound.retry(now=NOW)
            full.append(time.perf_counter() - start)
            start = time.perf_counter()
            outbound.retry_due(pending, now=NOW)
            idle.append(time.perf_counter() - start)
        service.close()
    full_s, idle_s = statistics.median(full), statistics.median(idle)
    deliveries = args.invites * args.recipients
    rounds_between_full = pending.full_every.total_seconds() / 60
    share = (idle_s * (rounds_between_full - 1) + full_s) / rounds_between_full / 60
    print(f"retry rounds: {args.invites} invites, {deliveries} deliveries; {args.rounds} rounds")
    print(f"  full round (cis retry)        {full_s * 1000:10.1f} ms  {full_s / 60:8.3%} of a core")
    print(f"  round with no news            {idle_s * 1000:10.3f} ms")
    print(
        f"idle server, a round a minute, a full one every {rounds_between_full:.0f} (target <= 1%):"
    )
    print(f"  {share:.4%} of a core (every round full, as before: {full_s / 60:.3%})")


if __name__ == "__main__":
    main()
