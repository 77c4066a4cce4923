"""The cis command as a person or a script runs it: real processes, a real data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from icalendar import Calendar

from tests.conftest import CORPUS
from tests.corpus_mail import organizer_of


def cis(
    data_dir: Path,
    *args: str,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cis`` in a fresh process on ``data_dir``; ``env`` adds to the environment."""
    env = {**os.environ, "CIS_DATA_DIR": str(data_dir), "COLUMNS": "200", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )


def lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_ingest_prints_one_json_object_per_message(tmp_path: Path) -> None:
    files = [
        str(CORPUS / "request/tb-single-event.eml"),
        str(CORPUS / "update/tb-update-minor.eml"),
        str(CORPUS / "attachment/tnef-winmail-meeting-request.dat"),
    ]
    result = cis(tmp_path, "ingest", "--to", "create@invites.example", *files)
    assert result.returncode == 0, result.stderr
    rows = lines(result)
    assert [r["source"] for r in rows] == files
    assert [r["outcome"] for r in rows] == ["created", "updated", "rejected"]
    for row in rows:
        assert {"source", "outcome", "invite", "uid", "sequence", "reason"} <= set(row)
    assert rows[0]["invite"] == rows[1]["invite"]
    assert (rows[0]["uid"], rows[0]["sequence"], rows[0]["reason"]) == ("02e79b96", 0, None)
    assert "TNEF" in str(rows[2]["reason"]) or "winmail" in str(rows[2]["reason"])


def test_ingest_reads_one_message_from_stdin(tmp_path: Path) -> None:
    raw = (CORPUS / "request/outlook2010-single-part-calendar.eml").read_bytes()
    result = cis(tmp_path, "ingest", "-", stdin=raw)
    assert result.returncode == 0, result.stderr
    assert lines(result)[0]["source"] == "-"
    assert lines(result)[0]["outcome"] == "created"
    row = lines(result)[0]
    direct = lines(
        cis(tmp_path, "ingest", str(CORPUS / "request/outlook2010-single-part-calendar.eml"))
    )[0]
    assert direct["message"] == row["message"]
    assert direct["outcome"] == "duplicate"


def test_a_bare_ics_counts_only_with_the_envelope_sender_given_by_from(tmp_path: Path) -> None:
    request = CORPUS / "request/gcal-request.ics"
    anonymous = lines(cis(tmp_path / "a", "ingest", str(request)))[0]
    assert anonymous["outcome"] == "rejected"
    assert "no From header and no envelope sender" in str(anonymous["reason"])
    organizer = organizer_of(request.read_bytes())
    sent = lines(cis(tmp_path / "b", "ingest", "--from", organizer, str(request)))[0]
    assert sent["outcome"] == "created"
    shown = json.loads(cis(tmp_path / "b", "show", str(sent["invite"]), "--json").stdout)
    assert shown["organizer"] == organizer


def test_show_and_history_read_back_state_and_events(tmp_path: Path) -> None:
    seq0, seq1 = CORPUS / "update/gcal-selfsent-seq0.ics", CORPUS / "update/gcal-selfsent-seq1.ics"
    ingested = cis(
        tmp_path, "ingest", "--from", organizer_of(seq0.read_bytes()), str(seq0), str(seq1)
    )
    assert [r["outcome"] for r in lines(ingested)] == ["created", "updated"]
    shown = cis(tmp_path, "show", "burgos@google.com", "--json")
    assert shown.returncode == 0, shown.stderr
    state = json.loads(shown.stdout)
    expected_keys = {
        "invite",
        "uid",
        "organizer",
        "summary",
        "description",
        "location",
        "start",
        "end",
        "timezone",
        "all_day",
        "rrule",
        "sequence",
        "status",
        "update_count",
        "attendees",
        "instances",
    }
    assert expected_keys <= set(state)
    assert (state["summary"], state["sequence"], state["update_count"]) == ("the Strokes", 1, 1)
    assert state["status"] == "confirmed"
    assert all({"address", "name", "partstat"} <= set(a) for a in state["attendees"])
    history = json.loads(cis(tmp_path, "history", state["invite"], "--json").stdout)
    assert [e["version"] for e in history] == [1, 2, 3, 4, 5]
    # Each organizer message also notes who vouched for its sender.
    assert [e["type"] for e in history] == [
        "Created",
        "Scheduled",
        "SenderNoted",
        "Updated",
        "SenderNoted",
    ]
    assert all({"version", "type", "timestamp", "data"} <= set(e) for e in history)


def test_tables_for_people(tmp_path: Path) -> None:
    request = CORPUS / "request/gcal-request.ics"
    organizer = organizer_of(request.read_bytes())
    cis(tmp_path, "ingest", "--from", organizer, str(request))
    listed = cis(tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    uid = lines(cis(tmp_path, "ingest", "--from", organizer, str(request)))[0]["uid"]
    table = cis(tmp_path, "show", str(uid))
    assert table.returncode == 0, table.stderr
    assert "sequence" in table.stdout
    assert "status" in table.stdout


def test_unknown_invite_and_unreadable_file_are_errors(tmp_path: Path) -> None:
    missing = cis(tmp_path, "show", "no-such-uid")
    assert missing.returncode == 1
    assert "no invite" in missing.stderr
    unreadable = cis(tmp_path, "ingest", str(tmp_path / "absent.eml"))
    assert unreadable.returncode == 2
    assert "cannot read" in unreadable.stderr


def test_help_describes_the_commands(tmp_path: Path) -> None:
    result = cis(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("ingest", "show", "history", "list", "organizers"):
        assert command in result.stdout


def test_suspended_organizer_is_refused_from_the_command_line(tmp_path: Path) -> None:
    suspended = cis(tmp_path, "organizers", "suspend", "SENDER@example.com", "--reason", "spam")
    assert json.loads(suspended.stdout)["standing"] == "suspended"
    result = lines(cis(tmp_path, "ingest", str(CORPUS / "request/tb-single-event.eml")))[0]
    assert result["outcome"] == "rejected"
    assert "suspended" in str(result["reason"])


def test_reingest_recovers_a_lost_event_store_from_kept_messages(tmp_path: Path) -> None:
    files = [
        str(CORPUS / "request/bluemind-invite.eml"),
        str(CORPUS / "update/bluemind-invite-update.eml"),
    ]
    first = lines(cis(tmp_path, "ingest", *files))
    before = json.loads(cis(tmp_path, "show", str(first[0]["invite"]), "--json").stdout)
    again = lines(cis(tmp_path, "reingest"))
    assert {row["outcome"] for row in again} == {"duplicate"}
    (tmp_path / "events.sqlite3").unlink()
    for leftover in tmp_path.glob("events.sqlite3-*"):
        leftover.unlink()
    recovered = lines(cis(tmp_path, "reingest"))
    assert [row["outcome"] for row in recovered] == ["created", "updated"]
    after = json.loads(cis(tmp_path, "show", str(first[0]["invite"]), "--json").stdout)
    assert {k: v for k, v in after.items() if k != "last_changed"} == {
        k: v for k, v in before.items() if k != "last_changed"
    }


def test_send_refuses_a_cancelled_invite_to_someone_who_never_had_it(tmp_path: Path) -> None:
    request = CORPUS / "update/gcal-selfsent-seq0.ics"
    organizer = organizer_of(request.read_bytes())
    invite = str(lines(cis(tmp_path, "ingest", "--from", organizer, str(request)))[0]["invite"])
    calendar = Calendar.from_ical(request.read_bytes())
    calendar["METHOD"] = "CANCEL"
    for event in calendar.events:
        event["SEQUENCE"] = 1
    cancel = tmp_path / "cancel.ics"
    cancel.write_bytes(calendar.to_ical())
    cancelled = lines(cis(tmp_path, "ingest", "--from", organizer, str(cancel)))[0]
    assert cancelled["outcome"] == "cancelled"
    (row,) = lines(cis(tmp_path, "send", invite, "--to", "ann@example.org", "--json"))
    assert (row["outcome"], row["message_id"]) == ("cancelled", None)
    assert "never received it" in str(row["reason"])
