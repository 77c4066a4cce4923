"""The outbox folder takes a bulk send a page at a time (written, then synced together, then
the page's outcomes saved in one transaction). A page cut short by a full disk or a killed
process still ends with every recipient holding exactly one copy once the send is retried."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from adapters.files import write_page_atomically
from adapters.mail.outbox import OutboxFolderMailer
from application.send_types import Recipient, SendOutcome
from tests.e2e.test_cli import cis, lines
from tests.faults.data_folders import used_folder
from tests.faults.disks import fill, small_tmpfs
from tests.faults.test_disk_full import NOW, copies, service_on

GUESTS = [f"guest{n}@example{n % 7}.org" for n in range(300)]


def test_a_page_reports_each_file_it_could_not_write_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    (tmp_path / "a").mkdir()
    files = [
        (str(tmp_path / "a" / "one.eml"), b"one"),
        (str(tmp_path / "missing" / "two.eml"), b"two"),
        (str(tmp_path / "a" / "three.eml"), b"three"),
    ]
    errors = write_page_atomically(files, fsync=True)
    assert [error is None for error in errors] == [True, False, True]
    assert isinstance(errors[1], FileNotFoundError)
    assert (tmp_path / "a" / "one.eml").read_bytes() == b"one"
    assert (tmp_path / "a" / "three.eml").read_bytes() == b"three"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "one.eml", "three.eml"]


def test_a_disk_filling_up_mid_page_sends_what_fit_and_a_retry_sends_the_rest_once(
    tmp_path: Path,
) -> None:
    invite = used_folder(tmp_path)
    with small_tmpfs(tmp_path / "outbox", "512k") as outbox:
        filler = fill(outbox)
        # Room for a few copies, not for the page: some of it fits, the rest must wait.
        os.truncate(filler, filler.stat().st_size - 48 * 1024)
        service = service_on(tmp_path)
        people = [Recipient(p) for p in GUESTS[:20]]
        results = service.send(invite, people, now=NOW)
        outcomes = Counter(r.outcome for r in results)
        assert set(outcomes) == {SendOutcome.SENT, SendOutcome.QUEUED}, outcomes
        assert all("the disk is full" in (r.reason or "") for r in results if r.reason)
        assert not list(outbox.glob("*.incoming"))
        filler.unlink()
        retried = service.retry(now=NOW)
        assert {r.outcome for r in retried} == {SendOutcome.SENT}
        assert len(retried) == outcomes[SendOutcome.QUEUED]
        assert copies(outbox) == {(p.address, 0): 1 for p in people}
        service.close()


def test_a_bulk_send_killed_mid_page_is_completed_by_a_retry_with_one_copy_each(
    tmp_path: Path,
) -> None:
    invite = used_folder(tmp_path)
    csv = tmp_path / "guests.csv"
    csv.write_text("".join(f"{address}\n" for address in GUESTS))
    outbox = tmp_path / "outbox"
    env = {**os.environ, "CIS_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "entrypoints.cli", "send", invite, "--csv", str(csv)]
    sender = subprocess.Popen(
        [*command, "--yes", "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        # Killed once some pages are out, well before the last: bounded, never timed.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sender.poll() is None:
            written = sum(1 for _ in outbox.glob("*.eml")) if outbox.is_dir() else 0
            if written >= 45:
                break
            time.sleep(0.005)
        assert sender.poll() is None, "the send finished before it could be killed"
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=60)
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait()
    assert sender.returncode == -signal.SIGKILL
    retried = cis(tmp_path, "retry", "--json")
    assert retried.returncode == 0, retried.stderr
    assert {row["outcome"] for row in lines(retried)} <= {"sent"}
    # What the killed run had not reached, its second run sends; the rest are duplicates.
    again = cis(tmp_path, "send", invite, "--csv", str(csv), "--yes", "--json")
    assert {row["outcome"] for row in lines(again)} <= {"sent", "duplicate"}
    held = Counter(e.to for e in OutboxFolderMailer(outbox).entries() if e.method is not None)
    assert held == dict.fromkeys(GUESTS, 1)
    assert not list(outbox.glob("*.incoming"))
