"""Data folders as an operator's would be after some use: an invite received and sent."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CORPUS
from tests.corpus_mail import organizer_of
from tests.e2e.test_cli import cis, lines

INVITATION = CORPUS / "update/gcal-selfsent-seq0.ics"


def used_folder(data: Path, *recipients: str) -> str:
    """Receive an organizer's invite into ``data`` and send it to ``recipients``; return its id."""
    sender = organizer_of(INVITATION.read_bytes())
    created = cis(data, "ingest", "--from", sender, str(INVITATION))
    assert created.returncode == 0, created.stderr
    invite = str(lines(created)[0]["invite"])
    for address in recipients:
        sent = cis(data, "send", invite, "--to", address, "--json")
        assert lines(sent)[0]["outcome"] == "sent", sent.stderr
    return invite


def kept_messages(data: Path) -> list[Path]:
    """Return the raw messages kept in ``data``."""
    return sorted((data / "messages").glob("??/*.eml"))


def one_line_error(result_stderr: str) -> str:
    """Return the one line a failed command printed, checking it is one line and no traceback."""
    assert "Traceback" not in result_stderr, result_stderr
    shown = [line for line in result_stderr.splitlines() if line.strip()]
    assert len(shown) == 1, result_stderr
    assert shown[0].startswith("cis: "), result_stderr
    return shown[0]
