"""Erasure in the embedded data folder's files: the blob folder (messages, envelopes,
uploads, quarantine, leftovers) and the outbox folder. After it, no file holds a byte of
the person's address or name, in any encoding; everyone else's files are untouched."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from adapters.leftovers import STALE_AFTER
from adapters.mail.outbox import OutboxFolderMailer
from adapters.storage.blob_files import content_key
from adapters.storage.blobs import FolderBlobStore, MemoryBlobStore
from application.kept_mail import CorruptMessageError, Envelope
from application.ports import BlobStore, OutgoingMail
from tests.unit.test_redaction import readable

ANNA, NAME = "anna@example.org", "Anna Müller"
NEEDLES = [ANNA, NAME]
PLACEHOLDER = "erased-0123456789abcdef0123@erased.invalid"


def message(sender: str, to: list[str], subject: str, body: str, attendees: list[str]) -> bytes:
    """A calendar mail: a quoted-printable text part and a base64 calendar."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{content_key(subject.encode())[:16]}@example.org>"
    mail.set_content(body, cte="quoted-printable")
    lines = ["BEGIN:VCALENDAR", "METHOD:REQUEST", "BEGIN:VEVENT", "UID:x@example.org"]
    lines += [f"ATTENDEE;CN={a.split('@')[0]}:mailto:{a}" for a in attendees]
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    mail.add_attachment(
        "\r\n".join(lines).encode(), maintype="text", subtype="calendar", filename="invite.ics"
    )
    return mail.as_bytes(policy=policy.SMTP)


REPLY = message(f"{NAME} <{ANNA}>", ["rsvp@cis.test"], "Accepted: Party", f"Yes! {NAME}", [ANNA])
REQUEST = message(
    "Zoë <zoe@example.org>",
    [f"{NAME} <{ANNA}>", "Joan <joan@example.org>"],
    f"Party for {NAME}",
    f"Dear {NAME} and Joan,\ncome along. Write to {ANNA} for the gift.",
    [ANNA, "joan@example.org"],
)
OTHERS = message(
    "Zoë <zoe@example.org>", ["bob@example.org"], "Lunch", "Bob, lunch?", ["bob@x.org"]
)
LIST = f"email,name\r\n{ANNA},{NAME}\r\njoan@example.org,Joan\r\nbob@example.org,Bob\r\n".encode()


def files(folder: Path) -> Iterator[Path]:
    yield from (p for p in folder.rglob("*") if p.is_file())


def traces(folder: Path) -> list[str]:
    """Every file under ``folder`` that still holds the person, in any encoding."""
    found = []
    for path in files(folder):
        data = path.read_bytes()
        lowered = data.lower()
        plain = [ANNA, NAME.lower(), base64.b64encode(ANNA.encode()).decode().lower()]
        hits = [n for n in plain if n.encode() in lowered or n.encode("latin-1") in lowered]
        if not hits and b"\n\n" in data.replace(b"\r\n", b"\n"):
            text = readable(data)
            hits = [n for n in (ANNA, NAME.lower()) if n in text]
        if hits:
            found.append(f"{path}: {hits}")
    return found


def old_leftover(path: Path, data: bytes) -> None:
    """What a writer killed mid-write left: a temporary file of a dead process, long ago."""
    path.write_bytes(data)
    past = time.time() - STALE_AFTER - 60
    os.utime(path, (past, past))


@pytest.fixture
def kept(tmp_path: Path) -> dict[str, str]:
    """A blob folder with the person in each place a data folder can hold them."""
    store = FolderBlobStore(tmp_path / "messages", fsync=False)
    keys = {
        "reply": store.put(REPLY, Envelope(to="rsvp@cis.test", sender=ANNA, channel="smtp")),
        "request": store.put(REQUEST, Envelope(to="create@cis.test", sender="zoe@example.org")),
        "others": store.put(OTHERS, Envelope(to="create@cis.test", sender="zoe@example.org")),
        "list": store.put_upload(LIST),
    }
    # A damaged copy in quarantine (moved there when read) ...
    damaged = store.put(REQUEST.replace(b"Party", b"Fiesta"))
    path = store._path(damaged)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(CorruptMessageError):
        store.get(damaged)
    # ... a dead writer's temporary file, and an envelope whose message never came.
    shard = store._path(keys["others"]).parent
    old_leftover(shard / f"{'f' * 64}.eml.999999999.1.incoming", REPLY)
    (shard / f"{'e' * 64}.envelope.json").write_text(
        f'{{"message": "{"e" * 64}", "sender": "{ANNA}"}}'
    )
    store.close()
    return keys


def test_nothing_of_the_person_is_left_in_the_blob_folder(
    tmp_path: Path, kept: dict[str, str]
) -> None:
    assert traces(tmp_path)
    others = FolderBlobStore(tmp_path / "messages")._path(kept["others"])
    before = {p: p.read_bytes() for p in files(tmp_path) if ANNA.encode() not in p.read_bytes()}
    store = FolderBlobStore(tmp_path / "messages", fsync=True)

    assert store.erase(kept["reply"])
    assert store.redact(kept["request"], NEEDLES)
    assert store.redact_upload(kept["list"], NEEDLES)
    assert store.redact_all(NEEDLES) >= 3  # quarantine, the leftover, the orphaned envelope
    assert store.redact_all(NEEDLES) == 0

    assert traces(tmp_path) == []
    # Everyone else's files, byte for byte; the marker is the one new file.
    for path, data in before.items():
        assert path.read_bytes() == data, path
    assert others.read_bytes() == OTHERS
    rewritten = {p.name.split(".", 1)[1] for p in set(files(tmp_path)) - set(before)}
    assert {"eml", "upload", "redacted.json"} <= rewritten


def test_a_redacted_message_keeps_its_key_and_is_no_damage(
    tmp_path: Path, kept: dict[str, str]
) -> None:
    store = FolderBlobStore(tmp_path / "messages", fsync=False)
    store.redact(kept["request"], {ANNA: PLACEHOLDER, NAME: "[erased]"})
    store.redact_upload(kept["list"], NEEDLES)
    store.erase(kept["reply"])

    redacted = store.get(kept["request"])
    assert content_key(redacted) != kept["request"]
    mail = BytesParser(policy=policy.default).parsebytes(redacted)
    assert [a.addr_spec for a in mail["To"].addresses] == [PLACEHOLDER, "joan@example.org"]
    assert store.envelope(kept["request"]) == Envelope(
        to="create@cis.test", sender="zoe@example.org"
    )
    assert store.verify_all() == []
    # What erasure of the others leaves to the scan (redact_all), or to `cis doctor`.
    assert sorted(leftover.kind for leftover in store.leftovers()) == [
        "envelope without message",
        "incoming",
    ]
    # The same bytes arriving again do not bring the person back.
    assert store.put(REQUEST) == kept["request"]
    assert store.get(kept["request"]) == redacted
    # The erased message is gone from everything that lists or reads.
    assert kept["reply"] not in store
    assert kept["reply"] not in store.arrivals()
    assert kept["request"] in store.arrivals()
    with pytest.raises(KeyError):
        store.get(kept["reply"])
    assert (
        store.get_upload(kept["list"])
        == b"email,name\r\njoan@example.org,Joan\r\nbob@example.org,Bob\r\n"
    )
    # Damage after redaction is still damage.
    path = store._path(kept["request"])
    path.write_bytes(path.read_bytes() + b"x")
    assert [d.key for d in store.verify_all()] == [kept["request"]]


def test_an_envelope_names_the_person_and_is_redacted(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "messages", fsync=False)
    key = store.put(OTHERS, Envelope(to="rsvp@cis.test", sender=ANNA, helo="mx.example.org"))
    assert store.redact(key, {ANNA: PLACEHOLDER})
    assert store.get(key) == OTHERS  # the message never named her: its bytes stay
    assert store.envelope(key) == Envelope(
        to="rsvp@cis.test", sender=PLACEHOLDER, helo="mx.example.org"
    )
    assert traces(tmp_path) == []


def test_erasing_what_is_not_kept_is_nothing(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path / "messages", fsync=False)
    assert not store.erase("0" * 64)
    assert not store.redact("0" * 64, NEEDLES)
    assert store.redact_all(NEEDLES) == 0
    with pytest.raises(KeyError):
        store.erase("../../etc/passwd")


@pytest.mark.parametrize("kind", ["memory", "folder"])
def test_each_store_speaks_the_same_erasure(kind: str, tmp_path: Path) -> None:
    store: BlobStore = (
        MemoryBlobStore() if kind == "memory" else FolderBlobStore(tmp_path / "m", fsync=False)
    )
    reply = store.put(REPLY, Envelope(sender=ANNA))
    request = store.put(REQUEST)
    others = store.put(OTHERS)
    upload = store.put_upload(LIST)
    assert store.erase(reply)
    assert not store.erase(reply)
    assert store.redact_all(NEEDLES) == 2
    assert reply not in store
    assert ANNA not in readable(store.get(request))
    assert store.get(others) == OTHERS
    assert ANNA.encode() not in store.get_upload(upload)
    assert store.envelope(reply) is None


# -- the outbox folder ----------------------------------------------------------------------


def sent(mailer: OutboxFolderMailer, to: str, data: bytes) -> str:
    mail_id = BytesParser(policy=policy.default).parsebytes(data)["Message-ID"]
    return mailer.send(OutgoingMail(str(mail_id), "invites@cis.test", to, data))


def test_the_outbox_keeps_nothing_of_the_person(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    mailer = OutboxFolderMailer(outbox, fsync=True)
    to_her = sent(mailer, ANNA, REPLY.replace(b"Accepted", b"Invitation"))
    notice = sent(mailer, "zoe@example.org", REQUEST)  # an organizer notice about her
    to_bob = sent(mailer, "bob@example.org", OTHERS)
    old_leftover(outbox / "x.eml.999999999.1.incoming", REPLY)
    assert traces(outbox)
    written = Path(notice).stat().st_mtime_ns

    assert mailer.erase(to_her)
    assert not mailer.erase(to_her)
    assert mailer.redact_all(NEEDLES) == 2
    assert mailer.redact_all(NEEDLES) == 0

    assert traces(outbox) == []
    assert not Path(to_her).exists()
    assert Path(to_bob).read_bytes() == OTHERS
    assert {e.path for e in mailer.entries()} == {Path(notice), Path(to_bob)}
    assert Path(notice).stat().st_mtime_ns == written  # its place in the sent order
    # Only a file of the folder, whatever path it is given.
    with pytest.raises(ValueError, match="not a copy"):
        mailer.erase(str(tmp_path / "elsewhere.txt"))
    assert not mailer.erase(str(tmp_path / "elsewhere.eml"))
