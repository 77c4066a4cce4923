"""``cis send --json`` prints each recipient's line the moment its result exists: a run killed
partway has said what it did. The relay is a real aiosmtpd server that holds one message
until the test has killed the sender."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.faults.data_folders import used_folder
from tests.integration.test_smtp_mailer import FreePortController

RECIPIENTS = [f"guest{n}@example.org" for n in range(1, 6)]
HELD = 3  # the relay holds the third recipient's copy


class HoldingRelay:
    """Accepts mail, but holds the ``HELD``th copy to a listed recipient until released."""

    def __init__(self) -> None:
        self.copies = 0
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if any(to in RECIPIENTS for to in envelope.rcpt_tos):
            self.copies += 1
            if self.copies == HELD:
                self.holding.set()
                await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        return "250 2.0.0 Ok: queued"


def test_a_send_killed_partway_has_printed_the_results_done_so_far(tmp_path: Path) -> None:
    invite = used_folder(tmp_path)
    csv = tmp_path / "guests.csv"
    csv.write_text("".join(f"{address}\n" for address in RECIPIENTS))
    relay = HoldingRelay()
    controller = FreePortController(relay, hostname="127.0.0.1", port=0)
    controller.start()
    env = {
        **os.environ,
        "CIS_DATA_DIR": str(tmp_path),
        "CIS_MAILER": "smtp",
        "CIS_SMTP_HOST": "127.0.0.1",
        "CIS_SMTP_PORT": str(controller.port),
        "CIS_SMTP_STARTTLS": "false",
    }
    command = [sys.executable, "-m", "entrypoints.cli", "send", invite, "--csv", str(csv)]
    sender = subprocess.Popen(
        [*command, "--yes", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        # Bounded, never a timing assertion: only a sender that never got this far waits.
        assert relay.holding.wait(120), sender.stderr.read() if sender.stderr else ""
        sender.send_signal(signal.SIGKILL)
        out, _ = sender.communicate(timeout=60)
    finally:
        relay.release.set()
        if sender.poll() is None:
            sender.kill()
            sender.wait()
        controller.stop()

    assert sender.returncode == -signal.SIGKILL
    printed = [json.loads(line) for line in out.decode().splitlines()]
    assert [(row["address"], row["outcome"]) for row in printed] == [
        (address, "sent") for address in RECIPIENTS[: HELD - 1]
    ]
