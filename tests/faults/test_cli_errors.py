"""Storage errors as an operator meets them: one line naming the file and what to do, exit
status 1, and the traceback only with ``cis --debug``. Real damaged data folders, real
processes; the full disk is a real tmpfs (when this runs as root), the denied permission a
real one (as root, with the capabilities that bypass it dropped)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.e2e.test_cli import cis
from tests.faults.data_folders import kept_messages, one_line_error, used_folder
from tests.faults.disks import fill, small_tmpfs

ANOTHER = CORPUS / "request/tb-single-event.eml"


def test_a_malformed_event_store_is_one_line_naming_it(tmp_path: Path) -> None:
    used_folder(tmp_path, "ann@example.org")
    store = tmp_path / "events.sqlite3"
    store.write_bytes(b"this is no database, an editor saved over it\n" * 200)
    for leftover in tmp_path.glob("events.sqlite3-*"):
        leftover.unlink()

    result = cis(tmp_path, "list")

    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert str(store) in line
    assert "not a readable SQLite database" in line
    assert "cis doctor" in line


def test_debug_shows_the_traceback_of_the_same_error(tmp_path: Path) -> None:
    used_folder(tmp_path)
    (tmp_path / "events.sqlite3").write_bytes(b"garbage" * 1000)
    for leftover in tmp_path.glob("events.sqlite3-*"):
        leftover.unlink()

    result = cis(tmp_path, "--debug", "list")

    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "DatabaseError" in result.stderr


def test_usage_errors_stay_usage_errors(tmp_path: Path) -> None:
    result = cis(tmp_path, "no-such-command")

    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_a_kept_message_replaced_by_a_folder_is_never_a_traceback(tmp_path: Path) -> None:
    used_folder(tmp_path)
    (blob,) = kept_messages(tmp_path)
    blob.unlink()
    blob.mkdir()

    result = cis(tmp_path, "reingest")

    # Reported as the message's outcome, or as the one line the command dies with.
    assert "Traceback" not in result.stderr, result.stderr
    if result.returncode != 0:
        assert result.returncode == 1
        assert blob.name in result.stderr.splitlines()[-1]
    else:
        assert blob.name in result.stdout


def test_arrivals_log_as_a_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    used_folder(tmp_path)
    log = tmp_path / "messages" / "arrivals.log"
    log.unlink()
    log.mkdir()

    result = cis(tmp_path, "ingest", "--to", "create@invites.example", str(ANOTHER))

    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert str(log) in line
    assert "folder where a file was expected" in line


def test_a_garbled_arrivals_log_is_never_a_traceback(tmp_path: Path) -> None:
    used_folder(tmp_path)
    log = tmp_path / "messages" / "arrivals.log"
    with log.open("ab") as garbled:
        garbled.write("Café\n".encode() + b"\xff\xfe\n")

    result = cis(tmp_path, "reingest")

    assert "Traceback" not in result.stderr, result.stderr
    if result.returncode != 0:
        line = one_line_error(result.stderr)
        assert str(log) in line
        assert "cis doctor --repair" in line
    else:
        assert "duplicate" in result.stdout


def _without_root_powers() -> list[str]:
    """Return a command prefix under which permissions apply even to root (none otherwise)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be denied")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def _cis_as(prefix: list[str], data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CIS_DATA_DIR": str(data), "COLUMNS": "200"}
    command = [*prefix, sys.executable, "-m", "entrypoints.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_permission_denied_on_the_messages_folder_is_one_line(tmp_path: Path) -> None:
    prefix = _without_root_powers()
    used_folder(tmp_path)
    messages = tmp_path / "messages"
    messages.chmod(0)
    try:
        result = _cis_as(prefix, tmp_path, "ingest", "--to", "create@", str(ANOTHER))
    finally:
        messages.chmod(0o755)

    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert "permission denied" in line
    assert str(messages) in line


def test_permission_denied_on_the_event_store_is_one_line(tmp_path: Path) -> None:
    prefix = _without_root_powers()
    used_folder(tmp_path)
    store = tmp_path / "events.sqlite3"
    store.chmod(0)
    try:
        result = _cis_as(prefix, tmp_path, "list")
    finally:
        store.chmod(0o644)

    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert "permission denied" in line
    assert str(store) in line


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, mounted for this test, unmounted after it."""
    with small_tmpfs(tmp_path / "disk", "2m") as disk:
        yield disk


def test_a_full_disk_is_one_line_saying_so(small_disk: Path) -> None:
    data = small_disk / "data"
    used_folder(data, "ann@example.org")
    fill(small_disk)

    result = cis(data, "ingest", "--to", "create@invites.example", str(ANOTHER))

    assert result.returncode == 1
    line = one_line_error(result.stderr)
    assert "no space left" in line
    assert str(data) in line
