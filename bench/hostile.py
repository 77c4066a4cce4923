"""What a stranger's worst message costs: ingest time against an ordinary invite's, and the
server's memory after a hundred of them.

1. Each hostile message of issue 13 (time-zone rules every second or minute, 2,000 EXDATEs in
   a 64-rule zone from year 1, 2,000 custom zones, a 4 MB encoded Subject) is ingested
   through the composition root as configured by default (parse workers, budget, SQLite;
   raw messages not fsynced, whose swings on a shared disk would drown the rest),
   rounds alternating with an ordinary invite; medians side by side, the worst as a ratio
   (target: at most 50x, and never more than the parse budget).
   Also the parse worker's overhead per message: an ordinary invite parsed in this process
   and in a worker, alternating.
2. ``cis serve`` is started, takes one ordinary invite (idle, warm), then 100 hostile messages
   over SMTP; its memory (the proportional set size of the server and its worker processes)
   is compared with idle (target: at most 1.2x).

Usage: python -m bench.hostile [--rounds N] [--messages N]
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests import hostile_mail
from tests.serve_process import start, stop

DOMAIN = "invites.example.com"
HOSTILE: dict[str, Callable[[], bytes]] = {
    "zone rule every second": hostile_mail.every_second,
    "zone rule every minute": hostile_mail.every_minute,
    "2,000 EXDATEs, 64-rule zone": hostile_mail.exdate_heavy,
    "200 custom zones": lambda: hostile_mail.many_zones(200),
    "4 MB encoded Subject": lambda: hostile_mail.encoded_subject(4, folded=True),
}
# Volume: reading a calendar costs time in proportion to its size, whatever it holds.
VOLUME = ("2,000 custom zones (690 KB)", hostile_mail.many_zones)


def _fresh(raw: bytes, run: int) -> bytes:
    """Return ``raw`` as a new message with a new event: a copy would be a duplicate, and the
    same UID again an update."""
    return f"X-Bench-Run: {run}\r\n".encode() + raw.replace(b"UID:", f"UID:{run}-".encode())


def ingest_costs(rounds: int) -> dict[str, float]:
    """Return the median seconds of one ingest of each message, rounds alternating."""
    messages = {"ordinary invite": hostile_mail.invite(), **{k: v() for k, v in HOSTILE.items()}}
    messages[VOLUME[0]] = VOLUME[1]()
    times: dict[str, list[float]] = {name: [] for name in messages}
    with tempfile.TemporaryDirectory() as data:
        # No fsync: on a shared disk its swings (0-200 ms) would drown what is measured here.
        settings = Settings(data_dir=Path(data), sender_policy="off", fsync_messages=False)
        container = bootstrap(settings)
        inbound = container.inbound()
        now = datetime.now(UTC)
        inbound.ingest(_fresh(messages["ordinary invite"], -1), now=now)  # workers warm
        for run in range(rounds):
            for name, raw in messages.items():
                fresh = _fresh(raw, run)
                started = time.perf_counter()
                inbound.ingest(fresh, now=now)
                times[name].append(time.perf_counter() - started)
        container.parser().close()
    return {name: statistics.median(values) for name, values in times.items()}


def parse_overhead(rounds: int) -> tuple[float, float]:
    """Return median seconds to parse an ordinary invite in this process and in a worker."""
    from adapters.inbound.budget import BudgetedParser
    from adapters.inbound.parser import EmailCalendarParser

    here, worker = EmailCalendarParser(), BudgetedParser(EmailCalendarParser, budget=10)
    worker.warm()
    times: tuple[list[float], list[float]] = ([], [])
    for run in range(rounds * 20):
        raw = _fresh(hostile_mail.ordinary(), run)
        for parser, found in zip((here, worker), times, strict=True):
            started = time.perf_counter()
            parser.parse(raw)
            found.append(time.perf_counter() - started)
    worker.close()
    return statistics.median(times[0]), statistics.median(times[1])


def _tree_memory(root: int) -> int:
    """Return the proportional set size, in bytes, of ``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        pending += children.get(pid, [])
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:"))
    return total


def serve_memory(messages: int) -> tuple[int, int, int]:
    """Return the memory of ``cis serve``: started, after one invite, after the bombs."""
    with tempfile.TemporaryDirectory() as data:
        server = start(Path(data), {"CIS_SENDER_POLICY": "off", "CIS_MAIL_DOMAIN": DOMAIN})
        try:
            started = _tree_memory(server.process.pid)
            bombs = [make() for make in HOSTILE.values()]
            with smtplib.SMTP(*server.smtp, timeout=120) as smtp:
                smtp.sendmail(hostile_mail.ORGANIZER, [f"create@{DOMAIN}"], hostile_mail.invite())
                time.sleep(1)  # the background work's first rounds
                idle = _tree_memory(server.process.pid)
                for n in range(messages):
                    raw = _fresh(bombs[n % len(bombs)], n)
                    smtp.sendmail(hostile_mail.ORGANIZER, [f"create+b{n}@{DOMAIN}"], raw)
                # Workers that grew are replaced lazily: one more invite, so one runs, as idle.
                last = _fresh(hostile_mail.invite(), messages)
                smtp.sendmail(hostile_mail.ORGANIZER, [f"create@{DOMAIN}"], last)
            time.sleep(1)
            return started, idle, _tree_memory(server.process.pid)
        finally:
            stop(server, timeout=60)


def main() -> None:
    """Print both figures."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--messages", type=int, default=100)
    args = options.parse_args()
    budget = Settings().parse_budget
    costs = ingest_costs(args.rounds)
    ordinary = costs.pop("ordinary invite")
    print(f"hostile messages, ingest (median of {args.rounds}; parse budget {budget:g} s):")
    print(f"  {'ordinary invite':<30} {ordinary * 1e3:9.1f} ms")
    for name, cost in costs.items():
        print(f"  {name:<30} {cost * 1e3:9.1f} ms   {cost / ordinary:6.1f}x")
    volume = costs.pop(VOLUME[0])
    worst = max(costs, key=costs.__getitem__)
    print(
        f"worst: {worst}, {costs[worst] / ordinary:.1f}x an ordinary invite (target <= 50x), "
        f"{costs[worst]:.2f} s (budget {budget:g} s)"
    )
    print(
        f"volume: {VOLUME[0]}: {volume:.2f} s, {volume / ordinary:.0f}x (cost grows with size; "
        f"the budget cuts it at {budget:g} s)"
    )
    here, worker = parse_overhead(args.rounds)
    print(
        f"parsing an ordinary invite: {here * 1e3:.2f} ms in process, {worker * 1e3:.2f} ms "
        f"in a parse worker (+{(worker - here) * 1e3:.2f} ms a message)"
    )
    started, idle, after = serve_memory(args.messages)
    print(
        f"cis serve memory (PSS, server and workers): started {started / 2**20:.0f} MB, "
        f"idle {idle / 2**20:.0f} MB, after {args.messages} hostile messages over SMTP "
        f"{after / 2**20:.0f} MB: {after / idle:.2f}x idle (target <= 1.2)"
    )


if __name__ == "__main__":
    main()
