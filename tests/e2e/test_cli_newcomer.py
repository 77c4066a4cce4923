"""What a newcomer tripped over in the cis command (issue 15): who an invite went to, whole
ids, flags shown as flags, duplicate rows by line number, a warning for an event that is over."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from entrypoints.render import invites_table
from tests.api.conftest import ingest, invite_ics, new_container
from tests.conftest import CORPUS
from tests.e2e.test_cli import cis, lines

PAST = CORPUS / "update/gcal-selfsent-seq0.ics"  # March 2015, organized by inboxapptest@gmail.com
ORGANIZER = "inboxapptest@gmail.com"
LIST = (
    "email,name\n"
    "ann@example.org,Ann\n"  # line 2
    "not-an-address,Bad\n"  # line 3
    "bob@example.org,Bob\n"  # line 4
    "ANN@example.org,Ann again\n"  # line 5 repeats line 2
)


def _ingest(tmp_path: Path, raw: bytes, sender: str = ORGANIZER) -> str:
    source = tmp_path / "invite.ics"
    source.write_bytes(raw)
    (created,) = lines(cis(tmp_path, "ingest", "--from", sender, str(source)))
    return str(created["invite"])


def test_show_names_the_organizers_attendees_and_the_servers_recipients(tmp_path: Path) -> None:
    invite = _ingest(tmp_path, PAST.read_bytes())
    assert cis(tmp_path, "send", invite, "--to", "carol@example.org").returncode == 0
    table = cis(tmp_path, "show", invite)
    assert table.returncode == 0, table.stderr
    assert "Attendees (the organizer's list)" in table.stdout
    assert "Recipients (sent by this server)" in table.stdout
    recipients = table.stdout.split("Recipients (sent by this server)")[1]
    assert "carol@example.org" in recipients
    assert "no answer" in recipients
    assert "sent" in recipients

    shown = json.loads(cis(tmp_path, "show", invite, "--json").stdout)
    # The keys scripts read before are all still there.
    assert {"invite", "uid", "organizer", "status", "sequence", "attendees"} <= set(shown)
    [carol] = shown["recipients"]
    assert carol["address"] == "carol@example.org"
    assert (carol["status"], carol["delivery"], carol["last_sequence_sent"]) == (
        "no answer",
        "sent",
        0,
    )
    assert carol["address"] not in {a["address"] for a in shown["attendees"]}


def test_list_never_cuts_an_id_on_a_narrow_screen(tmp_path: Path) -> None:
    invite = _ingest(tmp_path, PAST.read_bytes())
    listed = cis(tmp_path, "list", env={"COLUMNS": "50"})
    assert listed.returncode == 0, listed.stderr
    assert invite in listed.stdout
    header, row = listed.stdout.splitlines()
    assert header.split("\t")[0] == "invite"
    assert row.split("\t")[:2] == [invite, ORGANIZER]


def test_the_terminal_table_never_cuts_an_id_either(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    ingest(container, PAST.read_bytes())
    views = list(container.front_doors().reading.invites())
    console = Console(width=60, record=True, force_terminal=True)
    console.print(invites_table(views))
    assert str(views[0].invite) in console.export_text()


@pytest.mark.parametrize(
    "command", [(), ("send",), ("show",), ("list",), ("ingest",), ("report",), ("keys", "list")]
)
def test_help_shows_flags_as_flags(tmp_path: Path, command: tuple[str, ...]) -> None:
    shown = cis(tmp_path, *command, "--help")
    assert shown.returncode == 0, shown.stderr
    assert "<bool>" not in shown.stdout
    assert re.search(r"--help\s+Show this message", shown.stdout), shown.stdout


def test_a_list_preview_names_duplicates_by_line_and_the_results_include_them(
    tmp_path: Path,
) -> None:
    invite = _ingest(tmp_path, PAST.read_bytes())
    guests = tmp_path / "guests.csv"
    guests.write_text(LIST, encoding="utf-8")
    declined = cis(tmp_path, "send", invite, "--csv", str(guests), stdin=b"n\n")
    assert declined.returncode == 1
    assert "1 duplicate rows" in declined.stderr
    assert "line 5 repeats ann@example.org from line 2" in declined.stderr
    assert "line 3:" in declined.stderr

    sent = lines(cis(tmp_path, "send", invite, "--csv", str(guests), "--yes", "--json"))
    by_outcome = sorted((str(r["outcome"]), str(r["address"])) for r in sent)
    assert by_outcome == [
        ("duplicate", "ann@example.org"),
        ("invalid", "not-an-address"),
        ("sent", "ann@example.org"),
        ("sent", "bob@example.org"),
    ]
    again = lines(cis(tmp_path, "send", invite, "--csv", str(guests), "--yes", "--json"))
    reasons = [str(r["reason"]) for r in again]
    assert all(" " in reason and not _path_like(reason) for reason in reasons), reasons
    assert sum("already received this version" in reason for reason in reasons) == 2


def _path_like(reason: str) -> bool:
    return reason.startswith("/") or ".eml" in reason or str(Path.cwd()) in reason


def test_sending_an_event_that_is_over_warns_on_stderr(tmp_path: Path) -> None:
    past = _ingest(tmp_path, PAST.read_bytes())
    warned = cis(tmp_path, "send", past, "--to", "ann@example.org", "--json")
    assert warned.returncode == 0, warned.stderr
    assert lines(warned)[0]["outcome"] == "sent"
    assert "warning: this event is over" in warned.stderr
    assert "2015-03-20" in warned.stderr

    raw = invite_ics("soon-1", "org@example.com", "20400101T100000Z")
    future = _ingest(tmp_path, raw, sender="org@example.com")
    quiet = cis(tmp_path, "send", future, "--to", "ann@example.org", "--json")
    assert lines(quiet)[0]["outcome"] == "sent"
    assert "warning" not in quiet.stderr
