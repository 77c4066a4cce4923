"""Fault F: what a killed process leaves (``.incoming`` temporary files in ``messages/`` and
``outbox/``, kept messages missing from ``arrivals.log``) is cleaned up by the next writer,
and never a file a live writer is still writing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.mail.outbox import OutboxFolderMailer
from adapters.storage.blobs import FolderBlobStore
from application.ports import OutgoingMail
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.driver import driver

NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
MAIL = (CORPUS / "request/bluemind-invite.eml").read_bytes()
SENT = OutgoingMail(
    message_id="<m1@invites>",
    sender="rsvp@invites.localhost",
    recipient="ann@example.org",
    data=b"To: ann@example.org\r\nSubject: hi\r\n\r\n" + b"hello\r\n" * 1000,
)

# A real writer that stops half-way through its write, as a process does when it is
# SIGKILLed there: it writes the first KiB of its temporary file, says so, and waits.
WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from adapters.mail.outbox import OutboxFolderMailer
    from adapters.storage.blobs import FolderBlobStore
    from application.ports import OutgoingMail

    real_write = os.write

    def stalled(fd, data):
        if fd <= 2:
            return real_write(fd, data)
        written = real_write(fd, bytes(data[:1024]))
        sys.stdout.write("writing\\n")
        sys.stdout.flush()
        time.sleep(3600)
        return written

    what, folder, payload = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]).read_bytes()
    os.write = stalled
    if what == "message":
        FolderBlobStore(folder).put(payload)
    else:
        mail = OutgoingMail("<m1@invites>", "rsvp@invites.localhost", "ann@example.org", payload)
        OutboxFolderMailer(folder).send(mail)
    """
)


def killed_mid_write(what: str, folder: Path, payload: bytes, tmp_path: Path) -> None:
    """Run a writer in a real process and SIGKILL it in the middle of its write."""
    source = tmp_path / "payload"
    source.write_bytes(payload)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, what, str(folder), str(source)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "writing\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL


def incoming(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.incoming"))


def test_a_killed_ingest_leaves_nothing_once_the_folder_is_written_again(tmp_path: Path) -> None:
    messages = tmp_path / "messages"
    killed_mid_write("message", messages, MAIL, tmp_path)
    assert len(incoming(messages)) == 1
    assert FolderBlobStore(messages).arrivals() == []

    # The sender tries again, as it does when it got no answer.
    key = FolderBlobStore(messages).put(MAIL)

    assert incoming(messages) == []
    assert FolderBlobStore(messages).get(key) == MAIL
    assert FolderBlobStore(messages).arrivals() == [key]


def test_a_killed_send_leaves_nothing_in_the_outbox_once_it_is_written_again(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    killed_mid_write("outbox", outbox, SENT.data, tmp_path)
    assert len(incoming(outbox)) == 1

    sent = Path(OutboxFolderMailer(outbox).send(SENT))

    assert incoming(outbox) == []
    assert sent.read_bytes() == SENT.data


def test_tidy_cleans_what_leftovers_reports(tmp_path: Path) -> None:
    messages = tmp_path / "messages"
    kept = FolderBlobStore(messages)
    keys = [kept.put(f"message {n}".encode()) for n in range(3)]
    killed_mid_write("message", messages, MAIL, tmp_path)
    # The last two arrivals never reached the log (a power loss: it is not fsynced).
    (messages / "arrivals.log").write_text(keys[0] + "\n")
    store = FolderBlobStore(messages)
    assert sorted(item.kind for item in store.leftovers()) == [
        "incoming",
        "missing from arrivals.log",
        "missing from arrivals.log",
    ]

    cleaned = store.tidy()

    assert len(cleaned) == 3
    assert store.leftovers() == []
    assert incoming(messages) == []
    assert (messages / "arrivals.log").read_text().split() == keys


@pytest.fixture
def live_writer() -> Iterator[subprocess.Popen[bytes]]:
    """Another process that is alive (as a writer still writing would be)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)


def test_a_live_writers_temporary_file_is_left_alone_until_it_is_gone(
    tmp_path: Path, live_writer: subprocess.Popen[bytes]
) -> None:
    messages = tmp_path / "messages"
    store = FolderBlobStore(messages)
    key = store.put(MAIL)
    shard = messages / key[:2]
    busy = shard / f"{'0' * 64}.eml.{live_writer.pid}.1.incoming"
    busy.write_bytes(b"half a message")

    assert store.leftovers() == []
    # Another process writes to the same folder (and sweeps it first).
    FolderBlobStore(messages).put(MAIL)
    store.tidy()
    assert busy.exists()

    live_writer.kill()
    live_writer.wait(timeout=30)
    assert [item.path for item in store.leftovers()] == [busy]
    store.tidy()
    assert not busy.exists()


def test_an_abandoned_temporary_file_goes_after_ten_minutes_whoever_wrote_it(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    # A temporary file of this very process, from a thread that died long ago.
    stale = outbox / f"old.eml.{os.getpid()}.1.incoming"
    fresh = outbox / f"new.eml.{os.getpid()}.2.incoming"
    for path in (stale, fresh):
        path.write_bytes(b"partial")
    long_ago = time.time() - 11 * 60
    os.utime(stale, (long_ago, long_ago))

    OutboxFolderMailer(outbox).send(SENT)

    assert incoming(outbox) == [fresh]


def test_reingest_adds_kept_messages_the_arrivals_log_lost(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    keys = [
        service.ingest(
            (CORPUS / name).read_bytes(), now=NOW, envelope_to="create@invites.localhost"
        ).message
        for name in ("request/bluemind-invite.eml", "update/bluemind-invite-update.eml")
    ]
    (tmp_path / "messages" / "arrivals.log").write_text(keys[0] + "\n")

    listed = [key for key, _ in service.reingest(now=NOW)]

    assert listed == keys
    assert (tmp_path / "messages" / "arrivals.log").read_text().split() == keys
