"""The embedded mailer: every sent message becomes an .eml file a person can open."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import TYPE_CHECKING

from icalendar import Calendar

from adapters.files import write_atomically, write_page_atomically
from adapters.leftovers import stale_incoming, sweep_incoming
from adapters.privacy.redaction import (
    Needles,
    RedactionError,
    identifying,
    mentions,
    redact_message,
)
from application.ports import DeliveryError, Mailer, OutgoingMail, TemporaryDeliveryError

if TYPE_CHECKING:
    from adapters.mail.dkim import DkimSigner

UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]+")


def file_name(message_id: str, data: bytes) -> str:
    """Return the file name for a Message-ID: readable, never a path, unique by its hash."""
    key = message_id.strip().strip("<>").strip()
    # Without a Message-ID, the content names the file, so a resend still overwrites.
    digest = hashlib.sha256(key.encode() if key else data).hexdigest()[:16]
    readable = UNSAFE.sub("_", key)[:80].lstrip(".")
    return f"{readable}-{digest}.eml" if readable else f"{digest}.eml"


@dataclass(frozen=True)
class OutboxEntry:
    """What one sent file says: its addresses, subject and calendar method/sequence."""

    path: Path
    to: str
    sender: str
    message_id: str
    subject: str
    method: str | None
    sequence: int | None


class OutboxFolderMailer(Mailer):
    """Writes each message to ``<folder>/<name from Message-ID>.eml``; a resend overwrites.

    With a DKIM signer the kept copy is signed as SMTP would send it, so a signature can be
    checked against the published record before any mail goes out for real."""

    def __init__(
        self, folder: Path, *, fsync: bool = True, signer: DkimSigner | None = None
    ) -> None:
        self.folder = folder
        self.fsync = fsync
        self.signer = signer
        self._ready = False

    # A retried Message-ID overwrites its file: a page may be handed over at once.
    overwrites = True

    def send(self, mail: OutgoingMail) -> str:
        """Write ``mail.data`` atomically and return the file's path.

        Any OSError (a full disk, a folder that cannot be written) is a temporary delivery
        error: the send stays pending until someone frees the space or fixes the folder.
        """
        path = self.folder / file_name(mail.message_id, mail.data)
        try:
            self._prepare()
            # Once send returns, the message is recorded as sent: with fsync it survives a crash.
            write_atomically(str(path), self._signed(mail), fsync=self.fsync)
        except OSError as error:
            raise _temporary(path, error) from error
        return str(path)

    def send_page(self, mails: Sequence[OutgoingMail]) -> list[str | DeliveryError]:
        """Write every message of the page, then sync them together (one sync per file and
        one for the folder, against two per file one at a time); return each file's path, or
        the temporary error that kept it from being written."""
        paths = [self.folder / file_name(mail.message_id, mail.data) for mail in mails]
        try:
            self._prepare()
        except OSError as error:
            return [_temporary(path, error) for path in paths]
        errors = write_page_atomically(
            [(str(path), self._signed(mail)) for path, mail in zip(paths, mails, strict=True)],
            fsync=self.fsync,
        )
        return [
            str(path) if error is None else _temporary(path, error)
            for path, error in zip(paths, errors, strict=True)
        ]

    def _prepare(self) -> None:
        if not self._ready:
            self.folder.mkdir(parents=True, exist_ok=True)
            sweep_incoming(self.folder)  # what killed writers left
            self._ready = True

    def _signed(self, mail: OutgoingMail) -> bytes:
        return mail.data if self.signer is None else self.signer.sign(mail.data)

    def erase(self, where: str) -> bool:
        """Delete the copy ``send`` wrote at ``where`` (a Delivery's Sent event records it);
        return whether it was there. Only its file name counts: the copy is looked for in
        this folder (the data folder may have moved since), never elsewhere."""
        path = self.folder / Path(where).name
        if path.suffix != ".eml":
            msg = f"not a copy the outbox folder keeps: {where}"
            raise ValueError(msg)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        self._sync()
        return True

    def redact_all(self, needles: Needles) -> int:
        """Redact every kept copy that mentions one of the person's addresses (organizer
        notices about them, messages to them not erased by their own ``where``), their
        name with it; remove a dead writer's temporary file that does; return how many
        files changed. A copy the person cannot be cut out of is deleted."""
        if not self.folder.is_dir():
            return 0
        select = identifying(needles)
        changed = 0
        for path in stale_incoming(self.folder):
            if mentions(path.read_bytes(), select):
                path.unlink(missing_ok=True)
                changed += 1
        for path in sorted(self.folder.glob("*.eml")):
            data = path.read_bytes()
            if not mentions(data, select):
                continue
            try:
                new = redact_message(data, needles)
            except RedactionError:
                path.unlink()
                changed += 1
                continue
            if new is not None:
                # Keeps the file's name and time order: entries() lists by modification time.
                stat = path.stat()
                write_atomically(str(path), new, fsync=self.fsync)
                os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
                changed += 1
        if changed:
            self._sync()
        return changed

    def _sync(self) -> None:
        if self.fsync:
            fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def entries(self) -> Iterator[OutboxEntry]:
        """Yield what was sent, oldest file first."""
        if not self.folder.is_dir():
            return
        paths = sorted(self.folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))
        for path in paths:
            yield read_entry(path)


def _temporary(path: Path, error: OSError) -> TemporaryDeliveryError:
    problem = "the disk is full" if error.errno == errno.ENOSPC else error.strerror
    return TemporaryDeliveryError(f"outbox {path}: {problem or error}")


def read_entry(path: Path) -> OutboxEntry:
    """Read one .eml file's headers and its calendar METHOD and SEQUENCE."""
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    method, sequence = calendar_summary(message)
    return OutboxEntry(
        path=path,
        to=str(message.get("To", "")),
        sender=str(message.get("From", "")),
        message_id=str(message.get("Message-ID", "")),
        subject=str(message.get("Subject", "")),
        method=method,
        sequence=sequence,
    )


def calendar_summary(message: EmailMessage) -> tuple[str | None, int | None]:
    """Return the METHOD and first VEVENT's SEQUENCE of the first text/calendar part."""
    for part in message.walk():
        if part.get_content_type() != "text/calendar":
            continue
        payload = part.get_payload(decode=True)
        try:
            calendar = Calendar.from_ical(payload if isinstance(payload, bytes) else b"")
        except ValueError:
            return None, None
        method = calendar.get("METHOD")
        events = calendar.events
        return (str(method) if method else None, events[0].sequence if events else None)
    return None, None
