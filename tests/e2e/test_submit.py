"""``cis submit``: a file mailed to a drop box on 127.0.0.1 over SMTP, and what it answered."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.mail.dropbox import DropBox
from application.inbound.routing import Mailboxes
from tests.integration.test_dropbox import DOMAIN, Recorder

CLI = (sys.executable, "-m", "entrypoints.cli")
MESSAGE = b"From: Ann <ann@example.org>\nSubject: hello\n\n.a line with a dot\nbye\n"


@pytest.fixture
def box() -> Iterator[tuple[DropBox, Recorder]]:
    accept = Recorder()
    with DropBox(accept, domain=DOMAIN, mailboxes=Mailboxes()) as started:
        yield started, accept


def submit(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "submit", "--port", str(port), *args],
        env={**os.environ, "CIS_MAIL_DOMAIN": DOMAIN},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_file_with_lf_line_ends_arrives_with_crlf_from_its_from_address(
    tmp_path: Path, box: tuple[DropBox, Recorder]
) -> None:
    dropbox, accept = box
    path = tmp_path / "hello.eml"
    path.write_bytes(MESSAGE)
    done = submit(dropbox.port, str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "source": str(path),
        "to": f"create@{DOMAIN}",
        "code": 250,
        "reply": "OK",
    }
    assert accept.calls == [
        (MESSAGE.replace(b"\n", b"\r\n"), f"create@{DOMAIN}", "ann@example.org"),
    ]


def test_a_refused_message_prints_the_reply_and_exits_1(
    tmp_path: Path, box: tuple[DropBox, Recorder]
) -> None:
    dropbox, accept = box
    path = tmp_path / "hello.eml"
    path.write_bytes(MESSAGE)
    # The second file still goes: each file is its own transaction.
    done = submit(dropbox.port, str(path), str(path), "--to", "someone@elsewhere.example")
    assert done.returncode == 1
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["code"] for r in replies] == [550, 550]
    assert "no such mailbox here" in replies[0]["reply"]
    assert accept.calls == []


def test_an_unreadable_file_or_no_drop_box_exits_2(
    tmp_path: Path, box: tuple[DropBox, Recorder]
) -> None:
    dropbox, accept = box
    missing = submit(dropbox.port, str(tmp_path / "missing.eml"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    path = tmp_path / "hello.eml"
    path.write_bytes(MESSAGE)
    nobody = submit(free, str(path))
    assert nobody.returncode == 2
    assert f"127.0.0.1:{free} cannot be reached" in nobody.stderr
    assert accept.calls == []
