"""``cis doctor`` on real damaged data folders: it finds each damage, one line apiece, and
``--repair`` fixes what it says it fixes (and nothing it cannot)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.e2e.test_cli import cis
from tests.faults.data_folders import kept_messages, used_folder

AN_HOUR_AGO = time.time() - 3600


def _findings(data: Path, *args: str) -> tuple[int, list[dict[str, object]], dict[str, object]]:
    result = cis(data, "doctor", "--json", *args)
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, rows[:-1], rows[-1]


def test_a_healthy_folder_is_healthy(tmp_path: Path) -> None:
    used_folder(tmp_path, "ann@example.org")

    result = cis(tmp_path, "doctor")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "healthy" in result.stdout
    assert _findings(tmp_path) == (0, [], {"healthy": True, "findings": 0, "repaired": 0})


def test_a_truncated_event_store_is_found_and_left_alone(tmp_path: Path) -> None:
    used_folder(tmp_path, "ann@example.org", "bob@example.org")
    store = tmp_path / "events.sqlite3"
    for leftover in tmp_path.glob("events.sqlite3-*"):
        leftover.unlink()
    whole = store.read_bytes()
    store.write_bytes(whole[: len(whole) // 2])

    status, rows, summary = _findings(tmp_path, "--repair")

    assert status == 1
    assert [(r["check"], r["path"], r["repaired"]) for r in rows] == [
        ("database", str(store), None)
    ]
    assert summary["healthy"] is False
    assert store.read_bytes() == whole[: len(whole) // 2]


def test_an_edited_message_is_quarantined_on_repair(tmp_path: Path) -> None:
    used_folder(tmp_path)
    (blob,) = kept_messages(tmp_path)
    blob.write_bytes(blob.read_bytes().replace(b"SUMMARY:", b"SUMMARY:Free lunch! "))

    checked = cis(tmp_path, "doctor")
    status, rows, summary = _findings(tmp_path, "--repair")

    assert checked.returncode == 1
    assert f"message: {blob}" in checked.stdout
    assert status == 0
    assert [(r["check"], r["path"]) for r in rows] == [("message", str(blob))]
    assert "quarantine" in str(rows[0]["repaired"])
    assert not blob.exists()
    assert list((tmp_path / "messages" / "quarantine").glob(f"{blob.stem}*"))
    assert summary == {"healthy": True, "findings": 1, "repaired": 1}
    assert _findings(tmp_path)[0] == 0


def test_leftover_temporary_files_are_removed_once_nobody_writes_them(tmp_path: Path) -> None:
    used_folder(tmp_path, "ann@example.org")
    (blob,) = kept_messages(tmp_path)
    old = [
        blob.parent / f"{blob.name}.999999.1.incoming",
        tmp_path / "outbox" / "x@invites.localhost-1.eml.999999.1.incoming",
    ]
    for path in old:
        path.write_bytes(b"half a mess")
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    # A write this very process has under way: its file is not a leftover yet.
    live = blob.parent / f"{blob.name}.{os.getpid()}.1.incoming"
    live.write_bytes(b"being written")

    status, rows, _ = _findings(tmp_path, "--repair")

    assert status == 0
    assert sorted(str(r["path"]) for r in rows) == sorted(str(p) for p in old)
    assert {r["repaired"] for r in rows} == {"removed"}
    assert not any(path.exists() for path in old)
    assert live.exists()


def test_a_message_missing_from_the_arrivals_log_is_added_back(tmp_path: Path) -> None:
    used_folder(tmp_path)
    (blob,) = kept_messages(tmp_path)
    log = tmp_path / "messages" / "arrivals.log"
    log.write_bytes(b"")

    checked = cis(tmp_path, "doctor")
    status, rows, _ = _findings(tmp_path, "--repair")

    assert checked.returncode == 1
    assert blob.stem in checked.stdout
    assert status == 0
    assert [r["repaired"] for r in rows] == ["added to the arrivals log"]
    assert log.read_text().split() == [blob.stem]


def test_a_garbled_arrivals_log_is_rewritten_keeping_its_order(tmp_path: Path) -> None:
    used_folder(tmp_path)
    (blob,) = kept_messages(tmp_path)
    log = tmp_path / "messages" / "arrivals.log"
    log.write_bytes(b"Caf\xc3\xa9\n" + blob.stem.encode() + b"\n\xff\n")

    status, rows, _ = _findings(tmp_path, "--repair")

    assert status == 0
    assert [r["problem"] for r in rows] == [
        "line 1 is not a message key: Caf\\xc3\\xa9",
        "line 3 is not a message key: \\xff",
    ]
    assert log.read_bytes() == blob.stem.encode() + b"\n"


def test_an_empty_event_store_beside_kept_mail_is_a_finding(tmp_path: Path) -> None:
    used_folder(tmp_path, "ann@example.org")
    for leftover in tmp_path.glob("events.sqlite3-*"):
        leftover.unlink()
    (tmp_path / "events.sqlite3").write_bytes(b"")

    result = cis(tmp_path, "doctor")

    assert result.returncode == 1
    assert "empty (0 bytes)" in result.stdout
    assert "cis reingest" in result.stdout
