"""The lost-acknowledgement window: duplicates left by SIGKILLs of real sending processes.

A send is claimed before the mailer is called and its outcome is saved after the relay's
250, so a process killed between the two leaves a claimed, unrecorded send; once the claim
lapses (at once, when its process is known dead) the next retry sends it again. Each round
starts a real `cis send --csv` (or `cis retry`) against a real aiosmtpd relay on 127.0.0.1
that counts copies per recipient, SIGKILLs it at a uniformly random moment of its sending
(timed by a calibration run), runs `cis retry` (and the killed `cis send` again, as an
operator would), and counts copies. Reported: duplicates per kill, recipients never reached
(target 0), and the window the duplicates imply (duplicate rate x the time one message takes).
Usage: python -m bench.kill_window [--seeds N] [--recipients N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dependency_injector import providers

from adapters.mail.smtp import SmtpMailer
from application.ports import Mailer, OutgoingMail
from application.send_types import Recipient
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS, free_port
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.faults.smtp_sink import CountingSink, running_sink

ROOT = Path(__file__).resolve().parents[1]
INVITATION = CORPUS / "update/gcal-selfsent-seq0.ics"


@dataclass
class Round:
    """What one kill left behind."""

    command: str
    killed: bool
    sent_before_kill: int
    duplicates: int
    missing: int


def environment(data: Path, port: int) -> dict[str, str]:
    """Return the environment of a `cis` process on ``data`` sending to the relay on ``port``."""
    return {
        **os.environ,
        "CIS_DATA_DIR": str(data),
        "CIS_MAILER": "smtp",
        "CIS_SMTP_HOST": "127.0.0.1",
        "CIS_SMTP_PORT": str(port),
        "CIS_SMTP_STARTTLS": "false",
        "CIS_SENDER_POLICY": "off",
        # One domain's 60 recipients: pacing would measure the pace, not the kill window.
        "CIS_DOMAIN_RATE": "0",
    }


def prepare(data: Path, guests: list[str], pending: bool) -> str:
    """Receive the invite (relay down); with ``pending``, also send it to every guest while
    the relay is down, so that there is something for `cis retry` to do. Return its id."""
    settings = Settings(
        data_dir=data, mailer="smtp", smtp_port=free_port(), smtp_starttls=False, domain_rate=0
    )
    service = driver(bootstrap(settings))
    raw = INVITATION.read_bytes()
    invite = str(from_organizer(service, raw, now=datetime.now(UTC)).invite)
    if pending:
        service.send(invite, [Recipient(g) for g in guests], now=datetime.now(UTC))
    service.close()
    (data / "guests.csv").write_text("email\n" + "\n".join(guests) + "\n")
    return invite


def command(name: str, invite: str, data: Path) -> list[str]:
    """Return the argv of the sending process under test."""
    cis = [sys.executable, "-m", "entrypoints.cli"]
    if name == "send":
        return [*cis, "send", invite, "--csv", str(data / "guests.csv"), "--yes", "--json"]
    return [*cis, "retry", "--json"]


def guest_copies(sink: CountingSink, guests: list[str]) -> Counter[str]:
    counts = sink.count()
    return Counter({g: counts[g] for g in guests})


def sending_seconds(name: str, guests: list[str]) -> float:
    """Return how long a whole run takes from its first copy at the relay to its exit."""
    with tempfile.TemporaryDirectory() as folder, running_sink() as (sink, port):
        data = Path(folder)
        invite = prepare(data, guests, pending=name == "retry")
        process = subprocess.Popen(
            command(name, invite, data),
            env=environment(data, port),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while not sink.count() and process.poll() is None:
            time.sleep(0.001)
        began = time.perf_counter()
        process.wait()
        return time.perf_counter() - began


def one_round(name: str, guests: list[str], rng: random.Random, span: float) -> Round:
    """Kill one sending process at a random moment, retry, and count what the relay got."""
    with tempfile.TemporaryDirectory() as folder, running_sink() as (sink, port):
        data = Path(folder)
        invite = prepare(data, guests, pending=name == "retry")
        env = environment(data, port)
        process = subprocess.Popen(
            command(name, invite, data),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while not sink.count() and process.poll() is None:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, span))
        killed = process.poll() is None
        if killed:
            process.send_signal(signal.SIGKILL)
        process.wait()  # reaped: its claims now lapse at once
        before = sum(guest_copies(sink, guests).values())
        # What an operator does: retry what is pending, and run a killed `cis send` again
        # (recipients of chunks it never reached are known only to the list).
        again = ["retry", name] if name == "send" else ["retry"]
        for each in again:
            subprocess.run(
                command(each, invite, data),
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
            )
        copies = guest_copies(sink, guests)
        return Round(
            name,
            killed,
            before,
            duplicates=sum(max(0, n - 1) for n in copies.values()),
            missing=sum(1 for g in guests if copies[g] == 0),
        )


class TimedMailer(Mailer):
    """The real SMTP mailer, noting when each hand-over starts."""

    def __init__(self, real: SmtpMailer) -> None:
        self.real = real
        self.started: list[float] = []

    def send(self, mail: OutgoingMail) -> str:
        self.started.append(time.perf_counter())
        return self.real.send(mail)


def window_in_process(guests: list[str]) -> tuple[float, float]:
    """Return the median (window, whole hand-over) in ms of one in-process `send`: from the
    moment the relay holds a copy to the end of the save that records it as sent, against
    from one hand-over's start to the next."""
    with tempfile.TemporaryDirectory() as folder, running_sink() as (sink, port):
        data = Path(folder)
        invite = prepare(data, guests, pending=False)
        settings = Settings(data_dir=data, mailer="smtp", smtp_port=port, smtp_starttls=False)
        container = bootstrap(settings)
        mailer = TimedMailer(SmtpMailer("127.0.0.1", port, starttls=False))
        container.mailer.override(providers.Object(mailer))
        sender = container.sender()
        saved: list[float] = []
        save = sender.save

        def timed_save(*aggregates: object) -> object:
            done = save(*aggregates)
            saved.append(time.perf_counter())
            return done

        sender.save = timed_save  # a bench's probe: when each save is durable
        container.outbound().send(invite, [Recipient(g) for g in guests], now=datetime.now(UTC))
        container.store().close()
        counted = sink.counted_at[-len(guests) :]
        windows = [min(t for t in saved if t > at) - at for at in counted]
        started = mailer.started
        whole = [b - a for a, b in itertools.pairwise(started)]
        return statistics.median(windows) * 1e3, statistics.median(whole) * 1e3


def main() -> None:
    """Print each command's kills, duplicates and implied window, then one JSON summary."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seeds", type=int, default=10, help="kills per command")
    options.add_argument("--recipients", type=int, default=60)
    args = options.parse_args()
    # The set-up sends while the relay is down on purpose: its warnings are expected.
    logging.disable(logging.WARNING)
    guests = [f"guest{n}@example.org" for n in range(args.recipients)]
    summary: dict[str, dict[str, float]] = {}
    for name in ("send", "retry"):
        span = sending_seconds(name, guests)
        per_message = span / len(guests)
        rounds = [one_round(name, guests, random.Random(seed), span) for seed in range(args.seeds)]
        kills = [r for r in rounds if r.killed]
        duplicates = sum(r.duplicates for r in kills)
        missing = sum(r.missing for r in rounds)
        rate = duplicates / len(kills) if kills else 0.0
        summary[name] = {
            "kills": len(kills),
            "duplicates": duplicates,
            "missing": missing,
            "duplicates_per_kill": round(rate, 3),
            "ms_per_message": round(per_message * 1e3, 2),
            "window_ms": round(rate * per_message * 1e3, 2),
        }
        print(
            f"cis {name}: {len(kills)} SIGKILLs over {len(guests)} recipients, "
            f"{duplicates} duplicates ({rate:.2f} per kill), {missing} missing; "
            f"{per_message * 1e3:.1f} ms per message, so the window is about "
            f"{rate * per_message * 1e3:.1f} ms of each"
        )
    window, whole = window_in_process(guests)
    summary["in_process"] = {"window_ms": round(window, 2), "ms_per_message": round(whole, 2)}
    print(
        f"in process: the relay holds each copy {window:.2f} ms before its outcome is saved, "
        f"of {whole:.2f} ms per message ({window / whole:.0%})"
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
