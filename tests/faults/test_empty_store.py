"""An event store that is empty or gone beside kept and sent mail is never a fresh start:
every command refuses it and says why, except the deliberate recovery, ``cis reingest``,
which says first what it will do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus_mail import organizer_of
from tests.e2e.test_cli import cis, lines
from tests.faults.data_folders import INVITATION, one_line_error, used_folder


def _lose_the_store(data: Path, *, how: str) -> Path:
    store = data / "events.sqlite3"
    for leftover in data.glob("events.sqlite3-*"):
        leftover.unlink()
    if how == "empty":
        store.write_bytes(b"")
    else:
        store.unlink()
    return store


def _sent_copies(data: Path) -> list[Path]:
    return sorted((data / "outbox").glob("*.eml"))


@pytest.mark.parametrize("how", ["empty", "missing"])
def test_send_refuses_an_empty_store_beside_sent_mail_and_sends_nothing(
    tmp_path: Path, how: str
) -> None:
    invite = used_folder(tmp_path, "ann@example.org", "bob@example.org")
    before = _sent_copies(tmp_path)
    store = _lose_the_store(tmp_path, how=how)

    # What an operator would do next: receive the invite again, then send it to everyone.
    sender = organizer_of(INVITATION.read_bytes())
    again = cis(tmp_path, "ingest", "--from", sender, str(INVITATION))
    sent = cis(tmp_path, "send", invite, "--to", "ann@example.org", "--json")

    for result in (again, sent):
        assert result.returncode == 1
        line = one_line_error(result.stderr)
        assert str(store) in line
        assert "cis reingest" in line
        assert result.stdout == ""
    assert _sent_copies(tmp_path) == before
    assert (store.stat().st_size if store.exists() else None) == (0 if how == "empty" else None)


def test_retry_and_list_refuse_it_too(tmp_path: Path) -> None:
    used_folder(tmp_path, "ann@example.org")
    _lose_the_store(tmp_path, how="empty")

    for command in (("retry", "--json"), ("list",), ("outbox", "--json")):
        result = cis(tmp_path, *command)
        assert result.returncode == 1, command
        assert "empty (0 bytes)" in one_line_error(result.stderr)


def test_reingest_says_what_it_will_do_then_records_the_kept_mail_again(tmp_path: Path) -> None:
    used_folder(tmp_path, "ann@example.org")
    store = _lose_the_store(tmp_path, how="empty")

    recovered = cis(tmp_path, "reingest")

    assert recovered.returncode == 0, recovered.stderr
    assert str(store) in recovered.stderr
    assert "recording every kept message again" in recovered.stderr
    assert [row["outcome"] for row in lines(recovered)] == ["created"]
    # The store holds events again: the folder opens as usual.
    assert cis(tmp_path, "list").returncode == 0
    assert store.stat().st_size > 0


def test_a_new_data_folder_is_no_empty_store_to_refuse(tmp_path: Path) -> None:
    assert cis(tmp_path, "list").returncode == 0
    used_folder(tmp_path / "fresh", "ann@example.org")
