"""Ingest throughput on the corpus, as a ratio to bare icalendar parsing in the same run.

Rounds alternate so machine noise hits all alike: the whole ingest (MIME parse, iCalendar
parse, domain, SQLite write into a fresh store, its parse worker started first, as a running
server's is) as ``cis serve`` runs it by default (raw messages fsynced, organizers emailed a
notice for each invite recorded or message refused, that notice queued for the server's
background work; the time those notices then take to go out is printed on its own line); the
same with each notice sent before ingest returns (as one-shot commands do); without the
notices; arriving together, as the files of one ``cis ingest`` do (kept in groups with one
group commit, the next message parsed while this one is recorded), with notices queued and
without; without fsync either; our parser alone; and bare ``icalendar.Calendar.from_ical``
over the same calendars the parser picks. Those run under sender policy off (the corpus is
unsigned); a last pair measures what verifying senders costs: the corpus emails DKIM-signed
for their From domains, ingested under policy off and under policy dmarc (DKIM verified,
DMARC records looked up in a zone, no network).
Usage: python -m bench.ingest [--corpus DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from dependency_injector import providers
from icalendar import Calendar

from adapters.inbound.authentication.dns import ZoneResolver
from adapters.inbound.budget import BudgetedParser
from adapters.inbound.mime import is_bare_calendar, is_tnef, read_email
from adapters.inbound.parser import EmailCalendarParser
from application.inbound.front_door import Incoming
from bench.scratch import scratch
from bench.signed import signed_corpus
from entrypoints.container import bootstrap
from entrypoints.settings import Settings


def load_corpus(root: Path) -> list[bytes]:
    """Return every message of the corpus, in a stable order."""
    skip = {"README.md", "MANIFEST.tsv"}
    return [p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name not in skip]


def calendar_of(raw: bytes) -> bytes | None:
    """Return the calendar bytes the parser would parse first (setup, not timed)."""
    if is_tnef(raw):
        return None
    if is_bare_calendar(raw):
        return raw
    parts = read_email(raw).parts
    return parts[0].data if parts else None


def bare_parse(calendars: list[str]) -> None:
    """Parse each calendar with icalendar, nothing else: the unavoidable part."""
    for text in calendars:
        try:
            Calendar.from_ical(text, multiple=True)
        except Exception:  # broken corpus files cost what they cost; none may stop the run
            continue


def timed(work: Callable[[], object]) -> float:
    """Return the wall-clock seconds ``work`` took."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def ingest_round(
    messages: list[bytes],
    *,
    fsync: bool = True,
    notices: bool = True,
    background: bool = False,
    drained: list[float] | None = None,
    policy: str = "off",
    resolver: ZoneResolver | None = None,
    together: bool = False,
) -> float:
    """Ingest every message into a fresh embedded store; return seconds spent ingesting.

    With ``background``, notices wait for a background thread as on ``cis serve``; the
    seconds then spent sending those still waiting are appended to ``drained``. With
    ``together``, the messages arrive together, as the files of one ``cis ingest`` do
    (``Inbound.ingest_many``: kept in groups with one group commit, the next one parsed
    while this one is recorded)."""
    with tempfile.TemporaryDirectory(dir=scratch()) as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            fsync_messages=fsync,
            notify_organizers=notices,
            sender_policy=policy,  # type: ignore[arg-type]
        )
        container = bootstrap(settings)
        container.resolver.override(providers.Object(resolver or ZoneResolver({})))
        inbound = container.inbound()
        reader = container.reader()
        if isinstance(reader, BudgetedParser):
            reader.warm()  # a running server's parse worker is up: its start is not ingest's
        notifier = container.notifier()
        if background:
            notifier.start_background()
        now = datetime.now(UTC)

        def work() -> None:
            if together:
                arriving = (Incoming(raw) for raw in messages)
                for _ in inbound.ingest_many(arriving, clock=lambda: now):
                    pass
                return
            for raw in messages:
                inbound.ingest(raw, now=now)

        elapsed = timed(work)
        after = timed(notifier.stop_background)
        if drained is not None:
            drained.append(after)
        container.parser().close()
        container.store().close()
        return elapsed


def main() -> None:
    """Run the benchmark and print medians and ratios."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    options.add_argument("--rounds", type=int, default=9)
    args = options.parse_args()
    messages = load_corpus(args.corpus)
    calendars = [c.decode("utf-8", "replace") for c in map(calendar_of, messages) if c is not None]
    parser = EmailCalendarParser()

    def parse_only() -> None:
        for raw in messages:
            parser.parse(raw)

    signed, zone = signed_corpus(messages)
    ingest_round(messages, background=True)  # warm-up: imports, caches, first SQLite file
    whole, inline, quiet, unsynced, parsing, bare = [], [], [], [], [], []
    grouped, grouped_quiet = [], []
    drained: list[float] = []
    believed, verified = [], []
    for _ in range(args.rounds):
        whole.append(ingest_round(messages, background=True, drained=drained))
        inline.append(ingest_round(messages))
        quiet.append(ingest_round(messages, notices=False))
        grouped.append(ingest_round(messages, background=True, together=True))
        grouped_quiet.append(ingest_round(messages, notices=False, together=True))
        unsynced.append(ingest_round(messages, fsync=False, notices=False))
        parsing.append(timed(parse_only))
        bare.append(timed(lambda: bare_parse(calendars)))
        believed.append(ingest_round(signed, fsync=False, notices=False, resolver=zone))
        verified.append(
            ingest_round(signed, fsync=False, notices=False, policy="dmarc", resolver=zone)
        )
    n = len(messages)
    print(f"corpus: {n} messages, {len(calendars)} calendars; {args.rounds} rounds, medians")
    # (label, series, target ratio to the bare parse or None where the issue sets none)
    rows: tuple[tuple[str, list[float], float | None], ...] = (
        ("durable, notices on", whole, 2.0),
        ("durable, notices inline", inline, None),
        ("durable, no notices", quiet, 1.5),
        ("together, notices on", grouped, 2.0),
        ("together, no notices", grouped_quiet, 1.5),
        ("no fsync, no notices", unsynced, None),
        ("parser only", parsing, None),
        ("bare Calendar.from_ical", bare, None),
    )
    for label, series, _ in rows:
        median = statistics.median(series)
        print(
            f"  {label:26} {median * 1e3:8.1f} ms  {median / n * 1e6:7.0f} us/msg"
            f"  {n / median:7.0f} msg/s"
        )
    later = statistics.median(drained)
    print(
        f"  {'then notices sent':26} {later * 1e3:8.1f} ms  {later / n * 1e6:7.0f} us/msg"
        "  (notices on: by the background work, after the ingests returned)"
    )
    print("ratio to bare parse (median of per-round ratios, [min-max]):")
    for label, series, target in rows[:7]:
        ratios = sorted(s / b for s, b in zip(series, bare, strict=True))
        goal = f"target <= {target:g}x" if target is not None else ""
        print(
            f"  {label:26} {statistics.median(ratios):5.2f}x"
            f"  [{ratios[0]:4.2f}-{ratios[-1]:4.2f}]  {goal}"
        )
    per = statistics.median(v / b for v, b in zip(verified, believed, strict=True))
    extra = (statistics.median(verified) - statistics.median(believed)) / len(signed)
    print(
        f"sender verification: {len(signed)} signed emails, policy dmarc vs off (no fsync, no"
        f" notices): {per:5.2f}x, about {extra * 1e6:.0f} us more per message"
    )


if __name__ == "__main__":
    main()
