"""``cis ingest`` of many files SIGKILLed mid-run: every file it reported is kept and recorded.

Files are kept a group at a time with one group commit, and a file's line is printed only after
its group is kept and its message recorded. Killed inside the first group or a later one, a
run must have reported nothing it had not kept and recorded; running it again over every file
records the rest, each exactly once, and a third run finds them all recorded already.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from application.inbound.front_door import GROUP
from tests.e2e.test_cli import cis, lines
from tests.faults.data_folders import kept_messages
from tests.invite_mail import ALICE, calendar, email_of

FILES = 200


def write_invitations(folder: Path) -> dict[str, str]:
    """Write ``FILES`` distinct invitations from ALICE; return each path's UID, in order."""
    folder.mkdir()
    uids = {}
    for n in range(FILES):
        path, uid = folder / f"{n:04d}.eml", f"group-{n}@example.com"
        path.write_bytes(email_of(calendar(uid=uid), ALICE))
        uids[str(path)] = uid
    return uids


def kill_mid_run(data: Path, paths: list[str], after: int) -> list[dict[str, object]]:
    """Start ``cis ingest`` of ``paths``, SIGKILL it once it has printed ``after`` lines;
    return the lines it printed (the last one only if it was whole)."""
    env = {**os.environ, "CIS_DATA_DIR": str(data), "CIS_SENDER_POLICY": "off"}
    process = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "ingest", *paths],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdout is not None
    printed: list[dict[str, object]] = []
    try:
        for line in process.stdout:
            if line.endswith(b"\n"):
                printed.append(json.loads(line))
            if len(printed) >= after:
                process.send_signal(signal.SIGKILL)
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)
        process.stdout.close()
    return printed


@pytest.mark.parametrize("after", [GROUP // 3, GROUP + GROUP // 2])
def test_a_killed_ingest_reported_only_what_it_kept_and_the_rest_comes_once(
    tmp_path: Path, after: int
) -> None:
    uids = write_invitations(tmp_path / "mail")
    paths = list(uids)
    data = tmp_path / "data"
    # Killed inside the first group, or inside the second.
    reported = kill_mid_run(data, paths, after)
    assert len(reported) >= after, "the run ended before it could be killed"
    assert all(line["outcome"] == "created" for line in reported)

    # Everything reported is kept (its raw message) and recorded (its invite listed), and so
    # is the rest of the group it was kept with, before any line of the group was printed.
    kept = {p.stem for p in kept_messages(data)}
    assert {str(line["message"]) for line in reported} <= kept
    assert len(kept) >= min(FILES, -(-len(reported) // GROUP) * GROUP)
    listed = {str(view["uid"]) for view in lines(cis(data, "list", "--json"))}
    assert {uids[str(line["source"])] for line in reported} <= listed

    again = cis(data, "ingest", *paths, env={"CIS_SENDER_POLICY": "off"})
    assert again.returncode == 0, again.stderr
    outcomes = {str(line["source"]): line["outcome"] for line in lines(again)}
    assert [outcomes[str(line["source"])] for line in reported] == ["duplicate"] * len(reported)
    # The rest is recorded now, once: created, or duplicate for those the killed run
    # recorded without getting to print their lines.
    unreported = set(paths) - {str(line["source"]) for line in reported}
    assert {outcomes[source] for source in unreported} <= {"created", "duplicate"}
    created = sum(outcome == "created" for outcome in outcomes.values())
    assert len(reported) + created <= FILES
    views = lines(cis(data, "list", "--json"))
    assert sorted(str(v["uid"]) for v in views) == sorted(uids.values())

    third = cis(data, "ingest", *paths, env={"CIS_SENDER_POLICY": "off"})
    assert {line["outcome"] for line in lines(third)} == {"duplicate"}
    assert len(kept_messages(data)) == FILES
    repaired = cis(data, "doctor", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
