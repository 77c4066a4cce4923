"""A full disk while sending: each failed hand-over stays pending, the run goes on, and a
retry completes it, once per recipient, when the space is back."""

from __future__ import annotations

import errno
import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dependency_injector import providers

from adapters.mail.outbox import OutboxFolderMailer
from adapters.mail.ses import SesMailer
from application.ports import Mailer, OutgoingMail, TemporaryDeliveryError
from application.send_types import Recipient, SendOutcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver
from tests.faults.disks import fill, small_tmpfs

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
PEOPLE = [f"guest{n}@example.org" for n in range(8)]


class FillingDisk(Mailer):
    """The real outbox mailer on a disk with room for ``room`` more messages; past that,
    every write fails as os.write does on a full disk: a bare OSError, unclassified."""

    def __init__(self, real: OutboxFolderMailer, room: int) -> None:
        self.real = real
        self.room = room

    def send(self, mail: OutgoingMail) -> str:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= 1
        return self.real.send(mail)


def service_on(data: Path, mailer: Mailer | None = None) -> Driver:
    container = bootstrap(Settings(data_dir=data))
    if mailer is not None:
        container.mailer.override(providers.Object(mailer))
    return driver(container)


def copies(outbox: Path) -> Counter[tuple[str, int | None]]:
    """Count the invitation .eml files per (recipient, SEQUENCE); notices have no METHOD."""
    entries = OutboxFolderMailer(outbox).entries()
    return Counter((e.to, e.sequence) for e in entries if e.method is not None)


@pytest.fixture
def invite(tmp_path: Path) -> str:
    service = service_on(tmp_path)
    created = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    service.close()
    return str(created.invite)


def test_a_mailer_failing_with_a_bare_oserror_costs_a_retry_not_the_run(
    tmp_path: Path, invite: str
) -> None:
    disk = FillingDisk(OutboxFolderMailer(tmp_path / "outbox"), room=3)
    service = service_on(tmp_path, disk)
    results = service.send(invite, [Recipient(p) for p in PEOPLE], now=NOW)
    assert Counter(r.outcome for r in results) == {SendOutcome.SENT: 3, SendOutcome.QUEUED: 5}
    queued = [r for r in results if r.outcome is SendOutcome.QUEUED]
    assert all("No space left on device" in (r.reason or "") for r in queued)
    disk.room = 100
    retried = service.retry(invite, now=NOW)
    assert sorted(r.address for r in retried) == sorted(r.address for r in queued)
    assert {r.outcome for r in retried} == {SendOutcome.SENT}
    assert copies(tmp_path / "outbox") == {(p, 0): 1 for p in PEOPLE}


def test_an_outbox_folder_that_cannot_be_written_is_a_temporary_failure(tmp_path: Path) -> None:
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the folder should be")
    mail = OutgoingMail("<1@cis.test>", "invites@cis.test", "zoe@example.org", b"Subject: x\r\n")
    with pytest.raises(TemporaryDeliveryError, match="outbox"):
        OutboxFolderMailer(blocked).send(mail)


def test_an_oserror_below_the_ses_client_is_a_temporary_failure() -> None:
    def no_descriptors() -> object:
        raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

    mailer = SesMailer("us-east-1", client_factory=no_descriptors)
    mail = OutgoingMail("<1@cis.test>", "invites@cis.test", "zoe@example.org", b"Subject: x\r\n")
    with pytest.raises(TemporaryDeliveryError, match="Too many open files"):
        mailer.send(mail)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted on the data folder's outbox."""
    with small_tmpfs(tmp_path / "outbox", "256k") as outbox:
        yield outbox


def test_a_really_full_outbox_disk_leaves_every_send_pending_until_space_returns(
    tmp_path: Path, invite: str, small_disk: Path
) -> None:
    filler = fill(small_disk)
    service = service_on(tmp_path)
    results = service.send(invite, [Recipient(p) for p in PEOPLE], now=NOW)
    assert {r.outcome for r in results} == {SendOutcome.QUEUED}
    assert all("the disk is full" in (r.reason or "") for r in results)
    assert not list(small_disk.glob("*.incoming"))
    assert {e.status for e in service.outbox()} == {"pending"}
    filler.unlink()
    retried = service.retry(now=NOW)
    assert {(r.address, r.outcome) for r in retried} == {(p, SendOutcome.SENT) for p in PEOPLE}
    assert copies(small_disk) == {(p, 0): 1 for p in PEOPLE}
