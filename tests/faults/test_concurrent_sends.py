"""Two workers on one data folder: each pending send reaches the relay once, the one that
finds a send claimed says so in its results, and neither prints a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from application.send_types import Recipient, SendOutcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS, free_port
from tests.corpus_mail import from_organizer, organizer_of
from tests.driver import driver
from tests.faults.smtp_sink import running_sink

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
INVITATION = CORPUS / "update/gcal-selfsent-seq0.ics"
ORGANIZER = organizer_of(INVITATION.read_bytes())


def pending_sends(data: Path, guests: list[str]) -> None:
    """Receive an invite and send it while the relay is down: every send stays pending, and
    so does the organizer's notice that the invite was recorded."""
    down = free_port()
    settings = Settings(data_dir=data, mailer="smtp", smtp_port=down, smtp_starttls=False)
    service = driver(bootstrap(settings))
    created = from_organizer(service, INVITATION.read_bytes(), now=NOW)
    results = service.send(str(created.invite), [Recipient(g) for g in guests], now=NOW)
    assert {r.outcome for r in results} == {SendOutcome.QUEUED}
    service.close()


def retry(data: Path, port: int) -> subprocess.Popen[str]:
    """Start ``cis retry --json`` on ``data`` with the relay on ``port``."""
    env = {
        **os.environ,
        "CIS_DATA_DIR": str(data),
        "CIS_MAILER": "smtp",
        "CIS_SMTP_HOST": "127.0.0.1",
        "CIS_SMTP_PORT": str(port),
        "CIS_SMTP_STARTTLS": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "retry", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str], timeout: float = 120) -> list[dict[str, object]]:
    """Wait for ``process``; check it ended well, without a traceback; return its results."""
    out, err = process.communicate(timeout=timeout)
    assert "Traceback" not in err, err
    assert process.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_a_retry_leaves_what_another_retry_is_sending_to_it(tmp_path: Path) -> None:
    guests = [f"guest{n}@example.org" for n in range(12)]
    pending_sends(tmp_path, guests)
    with running_sink() as (sink, port):
        # The first retry is held inside its first hand-over, with its claims saved.
        sink.held = lambda address: address in guests
        sink.gate.clear()
        first = retry(tmp_path, port)
        assert sink.waiting.wait(timeout=120), "the first retry never reached the relay"
        second = retry(tmp_path, port)
        try:
            second_results = finished(second, timeout=60)
        finally:
            sink.gate.set()  # before code that claims nothing, the second one waits here too
        first_results = finished(first)
        copies = sink.count()
    assert {g: copies[g] for g in guests} == dict.fromkeys(guests, 1)
    assert copies[ORGANIZER] == 1  # the kept notice, sent by one of them
    assert Counter(r["outcome"] for r in first_results if r["notice"] is None) == {"sent": 12}
    skipped = [r for r in second_results if r["notice"] is None]
    assert sorted(str(r["address"]) for r in skipped) == sorted(guests)
    assert {r["outcome"] for r in skipped} == {"claimed-elsewhere"}
    assert all("another worker" in str(r["reason"]) for r in skipped)


def test_two_retries_started_together_send_each_pending_message_once(tmp_path: Path) -> None:
    guests = [f"guest{n}@example.org" for n in range(45)]  # two chunks of claims
    pending_sends(tmp_path, guests)
    with running_sink(delay=0.02) as (sink, port):
        workers = [retry(tmp_path, port), retry(tmp_path, port)]
        results = [r for worker in workers for r in finished(worker)]
        copies = sink.count()
    assert {g: copies[g] for g in guests} == dict.fromkeys(guests, 1)
    assert copies[ORGANIZER] == 1
    sent = Counter(str(r["address"]) for r in results if r["outcome"] == "sent")
    assert sent == Counter([*guests, ORGANIZER])
    assert {str(r["outcome"]) for r in results} <= {"sent", "claimed-elsewhere", "duplicate"}
