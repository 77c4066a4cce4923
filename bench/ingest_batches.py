"""`cis ingest` in batches: CPU per batch against bare parsing, as the store grows.

Each batch is one `cis ingest` process given ``--size`` new invitations into the same data
folder: the corpus's REQUEST calendars (Google, Outlook, Apple, Thunderbird… with their
VTIMEZONEs), each copy given its own UID with icalendar, mailed from its organizer (sender
policy off: the corpus is unsigned). Its CPU time (user + system, the child's own and its parse
worker's, start-up included) is compared with the CPU time of bare `Calendar.from_ical`
on the same files, measured in this process right after it. Issue 17's targets: each
batch at most 1.5x, and the last batch's ratio at most 1.2x the first's (flat as the store
grows).
Usage: python -m bench.ingest_batches [--corpus DIR] [--batches N] [--size N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from icalendar import Calendar

from bench.ingest import calendar_of, load_corpus
from bench.scratch import scratch
from tests.invite_mail import email_of


def invitations(corpus: Path) -> list[Calendar]:
    """Return the corpus's calendars that ask for attendance (METHOD:REQUEST with events)."""
    found = []
    for raw in load_corpus(corpus):
        data = calendar_of(raw)
        if data is None:
            continue
        try:
            cal = Calendar.from_ical(data)
        except ValueError:
            continue
        events = cal.walk("VEVENT")
        if str(cal.get("METHOD", "")).upper() != "REQUEST" or not events:
            continue
        # What a calendar client sends: one event (a series and its exceptions), an organizer.
        one_event = len({str(event.get("UID")) for event in events}) == 1
        exceptions = all("RECURRENCE-ID" in event for event in events[1:])
        if one_event and exceptions and organizer_of(cal):
            found.append(cal)
    return found


def organizer_of(cal: Calendar) -> str:
    """Return the address the organizer mails from (Apple's EMAIL parameter, else mailto:)."""
    organizer = cal.walk("VEVENT")[0].get("ORGANIZER")
    email = organizer.params.get("EMAIL") if organizer is not None else None
    address = str(email or organizer or "")
    return address[7:] if address.lower().startswith("mailto:") else address


def write_batch(folder: Path, templates: list[Calendar], batch: int, size: int) -> list[Path]:
    """Write ``size`` invitations of batch ``batch`` as .ics files; return their paths."""
    folder.mkdir(parents=True)
    paths = []
    for n in range(size):
        number = batch * size + n
        cal = Calendar.from_ical(templates[number % len(templates)].to_ical())
        for event in cal.walk("VEVENT"):
            event["UID"] = f"bench-{number}-{event.get('UID')}"
        organizer = organizer_of(cal)
        path = folder / f"{number:07d}.eml"
        path.write_bytes(email_of(cal.to_ical(), organizer))
        paths.append(path)
    return paths


def children_cpu() -> float:
    """Return the CPU seconds (user + system) of the children waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_parse_cpu(paths: list[Path]) -> float:
    """Return the CPU seconds `Calendar.from_ical` takes on the batch's calendars."""
    data = [calendar_of(path.read_bytes()) or b"" for path in paths]
    began = time.process_time()
    for calendar in data:
        Calendar.from_ical(calendar)
    return time.process_time() - began


def ingest_cpu(data: Path, paths: list[Path]) -> float:
    """Run one `cis ingest` of ``paths`` into ``data``; return its CPU seconds."""
    env = {**os.environ, "CIS_SENDER_POLICY": "off", "CIS_MAIL_DOMAIN": "invites.example"}
    before = children_cpu()
    subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "--data-dir", str(data), "ingest"]
        + [str(path) for path in paths],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return children_cpu() - before


def main() -> None:
    """Ingest the batches one after another and print each batch's ratio."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    options.add_argument("--batches", type=int, default=5)
    options.add_argument("--size", type=int, default=1_000)
    args = options.parse_args()
    templates = invitations(args.corpus)
    ratios = []
    print(
        f"cis ingest, {args.batches} batches of {args.size} invitations into one data folder "
        f"({len(templates)} corpus REQUESTs, each copy its own UID)"
    )
    with tempfile.TemporaryDirectory(dir=scratch()) as tmp:
        data = Path(tmp) / "data"
        for batch in range(args.batches):
            paths = write_batch(Path(tmp) / f"batch{batch}", templates, batch, args.size)
            cpu = ingest_cpu(data, paths)
            bare = bare_parse_cpu(paths)
            ratios.append(cpu / bare)
            print(
                f"  batch {batch + 1:>3} (store holds {batch * args.size:>7} before): "
                f"{cpu * 1e3 / args.size:6.2f} ms CPU/invite, bare parse "
                f"{bare * 1e3 / args.size:5.2f} ms: {cpu / bare:5.2f}x"
            )
    print(f"median ratio (target <= 1.5x): {statistics.median(ratios):.2f}x")
    print(f"last batch vs first (target <= 1.2x, flat): {ratios[-1] / ratios[0]:.2f}x")


if __name__ == "__main__":
    main()
