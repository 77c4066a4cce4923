"""The raw-message blob store of the embedded default: a local folder (and, re-exported
from ``memory_blobs``, the one in memory for tests).

Each also keeps uploads (recipient lists sent to the HTTP API) apart from mail, where
arrivals() never looks: an upload must never be ingested as a received message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from adapters.files import write_atomically
from adapters.leftovers import INCOMING, stale_incoming, sweep_incoming
from adapters.privacy.redaction import (
    Needles,
    RedactionError,
    identifying,
    mentions,
    redact_csv,
    redact_message,
    redact_text,
)
from adapters.storage.blob_files import (
    ENVELOPE,
    QUARANTINE,
    REDACTED,
    content_key,
    examine,
    is_key,
    locked,
    marker_of,
    move_aside,
    redacted_digests,
    sidecar_of,
)
from adapters.storage.memory_blobs import MemoryBlobStore
from application.kept_mail import CorruptMessageError, Envelope
from application.ports import BlobStore

__all__ = ["ARRIVALS", "Damage", "FolderBlobStore", "Leftover", "MemoryBlobStore", "content_key"]

ARRIVALS = "arrivals.log"
log = logging.getLogger(__name__)


def _redacted(path: Path, data: bytes, needles: Needles) -> bytes | None:
    """Return a kept file's bytes without the needles (None: it has none): a list drops
    the rows naming one of the person's addresses, a message has each mention replaced."""
    if path.suffix == ".upload":
        return redact_csv(data, identifying(needles))
    return redact_message(data, needles)


@dataclass(frozen=True)
class Damage:
    """A kept file whose bytes no longer match the SHA-256 its name promises."""

    key: str
    path: Path
    problem: str


@dataclass(frozen=True)
class Leftover:
    """Something an interrupted write left: a temporary file, an envelope without its
    message, or a kept message the arrivals log lost."""

    path: Path
    kind: str  # "incoming" | "envelope without message" | "missing from arrivals.log"


class FolderBlobStore(BlobStore):
    """Keeps each raw message as a file named by its hash, fanned out by the first two digits,
    with its envelope beside it (``<key>.envelope.json``).

    Uploads go to ``uploads`` (by default the ``uploads`` folder beside ``root``: with the
    data folder's ``messages/``, ``<data>/uploads/``), laid out the same way. A file whose
    bytes no longer match its name is moved to ``quarantine/`` inside its folder when read.
    """

    def __init__(self, root: Path, *, fsync: bool = True, uploads: Path | None = None) -> None:
        self.root = root
        self.uploads = uploads if uploads is not None else root.parent / "uploads"
        self.fsync = fsync
        self._folders: set[Path] = set()
        self._log: int | None = None
        self._lock = threading.Lock()

    def _path(self, key: str, upload: bool = False) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            msg = f"not a SHA-256 key: {key!r}"
            raise KeyError(msg)
        # Another suffix as well as another folder: arrivals() lists only ``??/*.eml``.
        if upload:
            return self.uploads / key[:2] / f"{key}.upload"
        return self.root / key[:2] / f"{key}.eml"

    def put(self, data: bytes, envelope: Envelope | None = None) -> str:
        """Store ``data`` durably, and ``envelope`` beside it, unless it is already there.

        Each is written to a temporary file, fsynced and renamed into place, the envelope
        first, then the folder is fsynced: a crash leaves no message or the whole message
        with its envelope, and once this returns both survive a power loss (with
        ``fsync=False``, only a process crash). A damaged copy already there is moved aside
        and replaced.
        """
        key = content_key(data)
        if self._keep(self._path(key), data, envelope):
            self._log_arrivals([key])
        return key

    def put_upload(self, data: bytes) -> str:
        """Store an upload durably under ``uploads``, unless it is there; never an arrival."""
        key = content_key(data)
        self._keep(self._path(key, upload=True), data, None)
        return key

    def get(self, key: str) -> bytes:
        """Return the stored bytes, verified against ``key``; raise KeyError when the key is
        unknown, CorruptMessageError (after moving the file aside) when they do not match."""
        return self._read(self._path(key), key)

    def get_upload(self, key: str) -> bytes:
        """Return the stored upload, verified as ``get`` does; KeyError when unknown."""
        return self._read(self._path(key, upload=True), key)

    def envelope(self, key: str) -> Envelope | None:
        """Return the envelope kept with the message (None for one kept without)."""
        sidecar = sidecar_of(self._path(key))
        try:
            data = json.loads(sidecar.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("envelope %s unreadable, ignored: %s", sidecar, error)
            return None
        if not isinstance(data, dict) or data.get("message") != key:
            log.warning("envelope %s names another message, ignored", sidecar)
            return None
        return Envelope.from_dict(data)

    def _keep(self, target: Path, data: bytes, envelope: Envelope | None) -> bool:
        """Write ``data`` to ``target`` atomically; return False if it was already there."""
        key = content_key(data)
        folder = target.parent
        self._ready(folder)
        # One writer per shard folder at a time, across processes: the envelope beside a
        # message is always the one written with it, and a repair never races a reader.
        with locked(folder):
            if os.path.lexists(target):
                try:
                    intact = examine(target, key)[1] is None
                except KeyError:  # a link to nothing
                    intact = False
                if intact:
                    return False
                with contextlib.suppress(KeyError):
                    move_aside(target, key)
            if target.suffix == ".eml":
                self._keep_envelope(sidecar_of(target), key, envelope)
            write_atomically(str(target), data, fsync=self.fsync)
        return True

    def _keep_envelope(self, sidecar: Path, key: str, envelope: Envelope | None) -> None:
        if envelope is None:
            # One an interrupted write of these bytes left must not pass for this arrival's.
            sidecar.unlink(missing_ok=True)
            return
        record = {"message": key, **envelope.as_dict()}
        text = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        write_atomically(str(sidecar), text.encode(), fsync=False)
        if self.fsync:
            # Its bytes now; its name with the message's: the folder is fsynced after the
            # message's rename, which journaling file systems never make durable before the
            # envelope's earlier one. One fsync saved on every message.
            fd = os.open(sidecar, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _ready(self, folder: Path) -> None:
        """Make ``folder`` once per process, and remove what killed writers left in it."""
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            sweep_incoming(folder)
            self._folders.add(folder)

    def _read(self, path: Path, key: str) -> bytes:
        data, problem = examine(path, key)
        if data is not None:
            return data
        with locked(path.parent):
            # Checked again under the lock: a put may have replaced the copy meanwhile.
            data, problem = examine(path, key)
            if data is not None:
                return data
            moved = move_aside(path, key)
        raise CorruptMessageError(key, str(path), problem or "", str(moved) if moved else None)

    def _log_arrivals(self, keys: list[str]) -> None:
        with self._lock:
            if self._log is None:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
                os.makedirs(self.root, exist_ok=True)
                self._log = os.open(self.root / ARRIVALS, flags, 0o600)
            # Small O_APPEND writes: lines from concurrent processes never interleave.
            for key in keys:
                os.write(self._log, f"{key}\n".encode("ascii"))

    def close(self) -> None:
        """Release the arrivals log."""
        with self._lock:
            if self._log is not None:
                os.close(self._log)
                self._log = None

    def arrivals(self) -> list[str]:
        """Return every stored key, oldest first.

        The arrivals log gives the order; it is not fsynced, so a message it lost in a crash
        is still listed, after the others, by file time, and added to the log again.
        """
        order, stray = self._listed()
        if stray:
            self._log_arrivals(stray)
        return order + stray

    def _listed(self) -> tuple[list[str], list[str]]:
        """Return the keys the log lists (those still kept), and the kept ones it lacks."""
        log_path = self.root / ARRIVALS
        # A damaged line is no key and is skipped: it must not hide the lines after it.
        text = log_path.read_bytes().decode("ascii", "replace") if log_path.exists() else ""
        order = list(dict.fromkeys(k for k in text.split() if k in self))
        known = set(order)
        stray = sorted(
            (p.stat().st_mtime_ns, p.stem)
            for p in self.root.glob("??/*.eml")
            if p.stem not in known
        )
        return order, [key for _, key in stray]

    def __contains__(self, key: str) -> bool:
        try:
            return self._path(key).exists()
        except KeyError:
            return False

    # -- erasure (``cis erase``) ----------------------------------------------------------

    def erase(self, key: str) -> bool:
        """Delete the message, its envelope, its redaction marker, what an interrupted
        write of it left and its quarantined copies; return whether any was there.

        The arrivals log keeps the key (digests only, no personal data): arrivals() skips
        keys no longer kept.
        """
        target = self._path(key)
        gone = self._erase_kept(target)
        return self._erase_quarantined(target, key) or gone

    def redact(self, key: str, needles: Needles) -> bool:
        """Rewrite the message and its envelope without the needles, under the same key
        (see ``blob_files.REDACTED``); return whether either mentioned one. A message the
        person cannot be cut out of (``RedactionError``) is erased whole."""
        return self._redact(self._path(key), key, needles)

    def redact_upload(self, key: str, needles: Needles) -> bool:
        """Rewrite the upload without the rows that mention the person's address; return
        whether any did."""
        return self._redact(self._path(key, upload=True), key, needles)

    def redact_all(self, needles: Needles) -> int:
        """Redact every kept message, upload and quarantined copy that mentions one of the
        person's addresses (``identifying``); remove what interrupted writes left that
        does; return how many files changed."""
        select = identifying(needles)
        changed = 0
        for shard in self._shards():
            # A live writer's temporary file is its own (it is renamed into place, then
            # redacted by the next scan); a dead writer's is a leftover, removed.
            for path in stale_incoming(shard):
                if mentions(path.read_bytes(), select):
                    path.unlink(missing_ok=True)
                    changed += 1
            for path in sorted(shard.iterdir()):
                if not path.is_file() or path.name.endswith((REDACTED, INCOMING)):
                    continue
                stem = path.name.split(".", 1)[0]
                if path.name.endswith(ENVELOPE):
                    orphan = not path.with_name(f"{stem}.eml").exists()
                    if orphan and mentions(path.read_bytes(), select):
                        # An envelope without its message (its own is redacted with it).
                        path.unlink(missing_ok=True)
                        changed += 1
                    continue
                if not is_key(stem) or path.suffix not in (".eml", ".upload"):
                    continue  # not ours (a file someone put there): left alone
                sidecar = sidecar_of(path)
                if mentions(path.read_bytes(), select) or (
                    sidecar.exists() and mentions(sidecar.read_bytes(), select)
                ):
                    changed += self._redact(path, stem, needles, quarantined=False)
        for folder in (self.root, self.uploads):
            changed += self._redact_quarantine(folder / QUARANTINE, "", needles, select)
        return changed

    def _erase_kept(self, target: Path) -> bool:
        folder = target.parent
        if not folder.is_dir():
            return False
        gone = False
        with locked(folder):
            # Under the lock no write is under way: every temporary file of it is a leftover.
            paths = [sidecar_of(target), target, marker_of(target)]
            paths += list(folder.glob(f"{target.stem}.*{INCOMING}"))
            for path in paths:
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                gone = True
            if gone:
                self._sync(folder)
        return gone

    def _erase_quarantined(self, target: Path, key: str) -> bool:
        quarantine = target.parent.parent / QUARANTINE
        gone = [p for p in quarantine.glob(f"{key}.*") if p.is_file()]
        for path in gone:
            path.unlink(missing_ok=True)
        if gone:
            self._sync(quarantine)
        return bool(gone)

    def _redact(
        self, target: Path, key: str, needles: Needles, *, quarantined: bool = True
    ) -> bool:
        folder = target.parent
        changed = False
        if folder.is_dir():
            with locked(folder):
                changed = self._redact_kept(target, key, needles)
                if target.suffix == ".eml":
                    changed = self._redact_envelope(sidecar_of(target), needles) or changed
        if quarantined:
            quarantine = folder.parent / QUARANTINE
            changed = bool(self._redact_quarantine(quarantine, key, needles, None)) or changed
        return changed

    def _redact_kept(self, target: Path, key: str, needles: Needles) -> bool:
        """Rewrite one kept file without the needles, under the folder's lock."""
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            return False
        try:
            new = _redacted(target, data, needles)
        except RedactionError:
            log.warning("kept %s cannot be redacted: erased whole", target.name)
            for path in (sidecar_of(target), target, marker_of(target)):
                path.unlink(missing_ok=True)
            self._sync(target.parent)
            return True
        if new is None:
            return False
        # The marker first, naming both digests: a crash between the two writes leaves
        # bytes the marker accepts; then only the new one (old bytes are gone).
        accepted = redacted_digests(target, key)
        digest, intact = content_key(data), content_key(data) in (key, *accepted)
        if intact:
            self._mark(target, key, [d for d in (digest, content_key(new)) if d != key])
        write_atomically(str(target), new, fsync=self.fsync)
        if intact:
            self._mark(target, key, [content_key(new)])
        return True

    def _mark(self, target: Path, key: str, digests: list[str]) -> None:
        record = {"message": key, "sha256": digests, "why": "erasure redacted it"}
        data = (json.dumps(record, sort_keys=True) + "\n").encode()
        write_atomically(str(marker_of(target)), data, fsync=self.fsync)

    def _redact_envelope(self, sidecar: Path, needles: Needles) -> bool:
        try:
            data = sidecar.read_bytes()
        except FileNotFoundError:
            return False
        try:
            record = json.loads(data)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            if not mentions(data, needles):
                return False
            sidecar.unlink()  # unreadable anyway: envelope() already ignores it
            return True
        new = {
            name: redact_text(value, needles) if isinstance(value, str) else value
            for name, value in record.items()
        }
        if new == record:
            return False
        text = json.dumps(new, ensure_ascii=False, sort_keys=True) + "\n"
        write_atomically(str(sidecar), text.encode(), fsync=self.fsync)
        return True

    def _redact_quarantine(
        self, quarantine: Path, key: str, needles: Needles, select: list[str] | None
    ) -> int:
        """Redact the quarantined copies of ``key`` (of every key when it is empty) that
        mention ``select`` (always when None); return how many changed."""
        if not quarantine.is_dir():
            return 0
        changed = 0
        for path in sorted(quarantine.glob(f"{key}.*" if key else "*")):
            if not path.is_file() or path.name.endswith(REDACTED):
                continue
            data = path.read_bytes()
            if select is not None and not mentions(data, select):
                continue
            if path.name.endswith(ENVELOPE):
                changed += self._redact_envelope(path, needles)
                continue
            try:
                new = _redacted(path, data, needles)
            except RedactionError:
                path.unlink()
                changed += 1
                continue
            if new is not None:
                write_atomically(str(path), new, fsync=self.fsync)
                changed += 1
        return changed

    def _sync(self, folder: Path) -> None:
        if self.fsync:
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    # -- upkeep (``cis reingest``, ``cis doctor``) ----------------------------------------

    def verify_all(self) -> list[Damage]:
        """Return every kept message and upload whose bytes do not match its name; moves
        nothing (``get`` of one moves it aside)."""
        found = []
        for folder, pattern in ((self.root, "??/*.eml"), (self.uploads, "??/*.upload")):
            for path in sorted(folder.glob(pattern)):
                problem = examine(path, path.stem)[1] if is_key(path.stem) else None
                if problem is not None:
                    found.append(Damage(path.stem, path, problem))
        return found

    def leftovers(self) -> list[Leftover]:
        """Return what interrupted writes left: temporary files no live writer owns,
        envelopes without their message, kept messages missing from the arrivals log."""
        found = [Leftover(p, "incoming") for p in self._temporaries()]
        found += [Leftover(p, "envelope without message") for p in self._orphans()]
        found += [
            Leftover(self._path(key), "missing from arrivals.log") for key in self._listed()[1]
        ]
        return found

    def tidy(self) -> list[Leftover]:
        """Clean up what ``leftovers`` reports, as far as that is safe; return what it did.

        Temporary files and orphaned envelopes are removed; kept messages missing from the
        arrivals log are added to it. Safe beside running processes: a live writer's files
        are left alone (see ``adapters.leftovers``), and envelopes are judged under the
        folder's write lock.
        """
        done = []
        for path in self._temporaries():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                done.append(Leftover(path, "incoming"))
        for path in self._orphans(remove=True):
            done.append(Leftover(path, "envelope without message"))
        stray = self._listed()[1]
        if stray:
            self._log_arrivals(stray)
        done += [Leftover(self._path(key), "missing from arrivals.log") for key in stray]
        return done

    def _shards(self) -> Iterator[Path]:
        for folder in (self.root, self.uploads):
            if folder.is_dir():
                yield from sorted(p for p in folder.glob("??") if p.is_dir())

    def _temporaries(self) -> list[Path]:
        return [path for shard in self._shards() for path in stale_incoming(shard)]

    def _orphans(self, *, remove: bool = False) -> list[Path]:
        found = []
        for shard in self._shards():
            if not any(shard.glob(f"*{ENVELOPE}")):
                continue
            # Under the lock no write is between its envelope and its message.
            with locked(shard):
                for sidecar in shard.glob(f"*{ENVELOPE}"):
                    message = shard / (sidecar.name.removesuffix(ENVELOPE) + ".eml")
                    if not os.path.lexists(message):
                        found.append(sidecar)
                        if remove:
                            sidecar.unlink(missing_ok=True)
        return found
