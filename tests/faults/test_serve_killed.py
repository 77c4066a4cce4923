"""``cis serve`` SIGKILLed under an SMTP flood loses no acknowledged message and records none twice.

A client delivers distinct invitations one connection at a time, as a sender's server would;
the server is killed at a point drawn from a seed. The sender's server then offers again what
got no 250, to a restarted server: every invitation is recorded exactly once, and the data
folder is whole (`cis doctor`, after it tidies what the kill left).
"""

from __future__ import annotations

import random
import signal
import smtplib
import threading
from pathlib import Path

import pytest

from tests.e2e.test_cli import cis, lines
from tests.invite_mail import ALICE, DOMAIN, calendar, email_of
from tests.serve_process import serving, start

FLOOD = 30


def deliver(where: tuple[str, int], raw: bytes) -> bool:
    """Return whether the server answered 250 to the whole message."""
    try:
        with smtplib.SMTP(*where, timeout=30) as smtp:
            return smtp.sendmail(ALICE, [f"create@{DOMAIN}"], raw) == {}
    except (OSError, smtplib.SMTPException):
        return False


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_server_loses_nothing_it_acknowledged(tmp_path: Path, seed: int) -> None:
    messages = [email_of(calendar(uid=f"flood-{n}@example.com"), ALICE) for n in range(FLOOD)]
    kill_after = random.Random(seed).randint(2, FLOOD - 5)
    first = start(tmp_path)
    process, where = first.process, first.smtp
    acknowledged: list[int] = []
    try:
        enough = threading.Event()

        def flood() -> None:
            for n, raw in enumerate(messages):
                if deliver(where, raw):
                    acknowledged.append(n)
                if len(acknowledged) >= kill_after:
                    enough.set()  # killed while the next messages are on the wire
            enough.set()

        sender = threading.Thread(target=flood, daemon=True)
        sender.start()
        assert enough.wait(timeout=300), "the flood never got its acknowledgements"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        sender.join(timeout=120)
        assert not sender.is_alive()
    finally:
        if process.poll() is None:
            process.kill()

    recorded = {view["uid"] for view in lines(cis(tmp_path, "list", "--json"))}
    assert {f"flood-{n}@example.com" for n in acknowledged} <= recorded

    with serving(tmp_path) as again:  # the sender's server offers the rest again
        for n, raw in enumerate(messages):
            if n not in acknowledged:
                assert deliver(again.smtp, raw)

    views = lines(cis(tmp_path, "list", "--json"))
    assert sorted(str(v["uid"]) for v in views) == sorted(
        f"flood-{n}@example.com" for n in range(FLOOD)
    )
    repaired = cis(tmp_path, "doctor", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
