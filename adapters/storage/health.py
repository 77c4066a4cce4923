"""What can be wrong with an embedded data folder, and what can safely be put right.

The databases are checked with SQLite's own integrity check, opened read-only and never
through eventsourcing: these checks must work on exactly the folders the server cannot open
(``cis doctor``, the CLI's error messages, the refusal of an empty store beside kept mail).
Kept messages, their leftovers and quarantine are the folder blob store's own checks.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path

from adapters.files import write_atomically
from adapters.leftovers import stale_incoming, sweep_incoming
from adapters.storage.blobs import ARRIVALS, FolderBlobStore
from application.kept_mail import CorruptMessageError


@dataclass(frozen=True)
class DataFolder:
    """Where an embedded deployment keeps what: the paths ``Settings`` names."""

    root: Path
    events: Path
    views: Path
    messages: Path
    outbox: Path


@dataclass(frozen=True)
class Finding:
    """One thing wrong in a data folder: which check, which file, what, and what to do."""

    check: str
    path: Path
    problem: str
    advice: str
    # Whether ``repair`` may fix it without losing anything.
    repairable: bool = False
    # What ``repair`` did about it, once it did.
    repaired: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the JSON shape of ``cis doctor --json``."""
        return {
            "check": self.check,
            "path": str(self.path),
            "problem": self.problem,
            "advice": self.advice,
            "repairable": self.repairable,
            "repaired": self.repaired,
        }


class EmptyEventStoreError(RuntimeError):
    """The event store is missing or empty while kept or sent mail shows it held events."""

    def __init__(self, store: Path, problem: str) -> None:
        self.store = store
        self.problem = problem
        super().__init__(
            f"{problem}; opening it as a fresh start would record and send everything again. "
            "Restore it from a backup, or run `cis reingest` to record the kept messages again "
            "(`cis doctor` checks the folder)"
        )


def _read_only(path: Path) -> closing[sqlite3.Connection]:
    # A read-only URI: checking never creates or changes a database.
    return closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))


def access_problem(path: Path) -> str | None:
    """Return why this user cannot read and write ``path`` (None: it can, or it is missing)."""
    try:
        with path.open("rb+"):
            return None
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"{error.strerror or error} for this user".lower()


def database_problem(path: Path) -> str | None:
    """Return what SQLite's integrity check says is wrong with ``path`` (None: healthy)."""
    denied = access_problem(path)
    if denied is not None:
        return denied
    try:
        with _read_only(path) as db:
            rows = db.execute("PRAGMA integrity_check(5)").fetchall()
    except sqlite3.Error as error:
        return f"not a readable SQLite database ({error})"
    verdicts = [str(row[0]) for row in rows]
    return None if verdicts == ["ok"] else "damaged: " + "; ".join(verdicts)


def _has_events(store: Path) -> bool:
    try:
        with _read_only(store) as db:
            row = db.execute("SELECT 1 FROM stored_events LIMIT 1").fetchone()
    except sqlite3.OperationalError as error:
        # No table yet means no event; a damaged file is for the store's own open to report.
        return "no such table" not in str(error)
    except sqlite3.Error:
        return True
    return row is not None


def _kept(messages: Path) -> Iterator[Path]:
    return messages.glob("??/*.eml")


def _sent(outbox: Path) -> Iterator[Path]:
    return outbox.glob("*.eml") if outbox.is_dir() else iter(())


# Longer than a message may take to be recorded (the drop box's ingest timeout is 300 s).
_FIRST_MESSAGE_GRACE = 600.0


def orphaned_store(store: Path, messages: Path, outbox: Path) -> str | None:
    """Return why the event store at ``store`` cannot be taken as a fresh start (None: it can).

    Missing, zero-length or without events is fine for a new data folder, but not beside kept
    messages or sent copies: the events they led to are gone, and a fresh start would send
    every invitation again. Cheap when the store holds events (the common case).
    """
    size = store.stat().st_size if store.exists() else None
    if size and _has_events(store):
        return None
    if size:
        # A store with its tables but no event yet is also a server recording its very first
        # message: only mail kept a while ago (well past one message's processing) says the
        # events were lost.
        settled = time.time() - _FIRST_MESSAGE_GRACE
        found = chain(_kept(messages), _sent(outbox))
        evidence: Iterator[Path] = (p for p in found if p.stat().st_mtime < settled)
    else:
        evidence = chain(_kept(messages), _sent(outbox))
    if next(evidence, None) is None:
        return None
    state = {None: "missing", 0: "empty (0 bytes)"}.get(size, "without any event")
    kept, sent = sum(1 for _ in _kept(messages)), sum(1 for _ in _sent(outbox))
    return (
        f"the event store {store} is {state}, but {messages} keeps {kept} received messages "
        f"and {outbox} {sent} sent copies"
    )


def is_key(line: bytes) -> bool:
    """Return whether ``line`` is a message key (64 lowercase hex digits)."""
    return len(line) == 64 and all(c in b"0123456789abcdef" for c in line)


def garbled_arrivals(messages: Path) -> Iterator[Finding]:
    """Yield each line of the arrivals log that is not a message key."""
    log = messages / ARRIVALS
    try:
        lines = log.read_bytes().split(b"\n") if log.exists() else []
    except OSError as error:
        yield Finding("arrivals", log, f"unreadable ({error.strerror})", "check its owner")
        return
    for number, line in enumerate(lines, start=1):
        if line and not is_key(line):
            shown = line[:24].decode("ascii", "backslashreplace")
            problem = f"line {number} is not a message key: {shown}"
            yield Finding("arrivals", log, problem, "rewrite it (`cis doctor --repair`)", True)


def examine(folder: DataFolder, blobs: FolderBlobStore) -> list[Finding]:
    """Return everything wrong in ``folder``: databases, event store, messages, leftovers."""
    found = []
    for path in sorted(folder.root.glob("*.sqlite3")):
        problem = database_problem(path)
        if problem is not None:
            advice = (
                "restore it from a backup (the event store: or move it aside and run "
                "`cis reingest`; the views: `cis replay` rebuilds them)"
            )
            found.append(Finding("database", path, problem, advice))
    orphaned = orphaned_store(folder.events, folder.messages, folder.outbox)
    if orphaned is not None:
        advice = "restore it from a backup, or run `cis reingest` to record the kept mail again"
        found.append(Finding("store", folder.events, orphaned, advice))
    quarantine = "move it to quarantine (`cis doctor --repair`); have the sender send it again"
    found += [Finding("message", d.path, d.problem, quarantine, True) for d in blobs.verify_all()]
    found += garbled_arrivals(folder.messages)
    tidy = "remove it (`cis doctor --repair`)"
    for leftover in blobs.leftovers():
        advice = "add it (`cis doctor --repair`)" if "arrivals" in leftover.kind else tidy
        found.append(Finding("leftover", leftover.path, leftover.kind, advice, True))
    found += [
        Finding("leftover", path, "incoming", tidy, True) for path in stale_incoming(folder.outbox)
    ]
    return found


def repair(found: list[Finding], folder: DataFolder, blobs: FolderBlobStore) -> list[Finding]:
    """Fix what can be fixed without losing anything; return the findings, each saying what
    was done about it (``repaired``)."""
    done: dict[tuple[str, Path, str], str | None] = {}
    for finding in found:
        if finding.check == "message":
            done[_id(finding)] = _quarantine(finding.path, blobs)
    if any(f.check == "arrivals" and f.repairable for f in found):
        kept = _rewrite_arrivals(folder.messages)
        for finding in found:
            if finding.check == "arrivals":
                done[_id(finding)] = f"rewrote the log: {kept} message keys kept, in order"
    tidied = {(leftover.path, leftover.kind) for leftover in blobs.tidy()}
    tidied |= {(path, "incoming") for path in sweep_incoming(folder.outbox)}
    for finding in found:
        if (finding.path, finding.problem) in tidied:
            verb = "added to the arrivals log" if "arrivals" in finding.problem else "removed"
            done[_id(finding)] = verb
    return [replace(f, repaired=done.get(_id(f))) for f in found]


def _id(finding: Finding) -> tuple[str, Path, str]:
    return finding.check, finding.path, finding.problem


def _quarantine(path: Path, blobs: FolderBlobStore) -> str | None:
    """Move a damaged kept file aside the way a read of it does; say where it went (None:
    it could not be moved)."""
    read = blobs.get_upload if path.suffix == ".upload" else blobs.get
    try:
        read(path.stem)
    except CorruptMessageError as error:
        return f"moved to {error.quarantined}" if error.quarantined else None
    except KeyError:
        return "already gone"
    return "intact after all: left in place"


def _rewrite_arrivals(messages: Path) -> int:
    """Rewrite the arrivals log with its valid lines only (order and first occurrence kept)."""
    log = messages / ARRIVALS
    keys = list(dict.fromkeys(line for line in log.read_bytes().split(b"\n") if is_key(line)))
    write_atomically(str(log), b"".join(key + b"\n" for key in keys), fsync=True)
    return len(keys)
