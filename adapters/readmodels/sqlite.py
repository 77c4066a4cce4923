"""The read model in a SQLite file beside the event store (WAL: readers never wait).

Keys are stored as ``layout`` spells them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any, NoReturn

from adapters.readmodels import layout
from application.projections.keys import USAGE, Key, Partition, Position
from application.projections.store import (
    Batch,
    Data,
    Item,
    ReadModel,
    Row,
    ViewConflictError,
    prefix_range,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL, sk TEXT NOT NULL, data TEXT NOT NULL, rev INTEGER NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
    pk TEXT NOT NULL, sk TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS positions (stream TEXT PRIMARY KEY, version INTEGER NOT NULL)
    WITHOUT ROWID;
"""


# Rows a new item or position is inserted with, and how many rows one INSERT statement
# takes: one statement of many rows costs SQLite a third less than as many executions of a
# one-row statement (and stays under the 999 parameters of the oldest SQLite versions).
_NEW_ITEMS = ("INSERT INTO items (pk, sk, data, rev) VALUES ", "(?, ?, ?, 1)")
_NEW_POSITIONS = ("INSERT INTO positions (stream, version) VALUES ", "(?, ?)")
_ROWS_PER_INSERT = 250

# A checkpoint that readers kept from finishing is tried again, this often and this far apart.
_SCRUB_ATTEMPTS = 50
_SCRUB_PAUSE = 0.1


class SqliteReadModel(ReadModel):
    """Items, counters and stream positions in three tables of one file."""

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = path
        self._db = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # Views can always be rebuilt from the event store, so an fsync per commit buys little.
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Deleted and overwritten rows are zeroed, not left in free space: an erased
        # person's row must leave no bytes behind (see scrub for the write-ahead log).
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def get(self, pk: Partition, sk: str) -> Item | None:
        """Return one item, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT data, rev FROM items WHERE pk = ? AND sk = ?", (layout.partition(pk), sk)
            ).fetchone()
        return Item(pk, sk, json.loads(row[0]), row[1]) if row else None

    def get_many(self, pk: Partition, sks: Sequence[str]) -> list[Item]:
        """Return the items with these sort keys, in the order asked (one statement)."""
        if not sks:
            return []
        marks = ", ".join("?" * len(sks))
        with self._lock:
            rows = self._db.execute(
                f"SELECT sk, data, rev FROM items WHERE pk = ? AND sk IN ({marks})",  # noqa: S608 - only placeholders
                (layout.partition(pk), *sks),
            ).fetchall()
        found = {sk: Item(pk, sk, json.loads(data), rev) for sk, data, rev in rows}
        return [found[sk] for sk in sks if sk in found]

    def query(
        self,
        pk: Partition,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int = 50,
        descending: bool = False,
        prefix: str | None = None,
    ) -> list[Item]:
        """Return one partition's items between the bounds, in order (one index range)."""
        low, included, high = prefix_range(after, before, prefix)
        sql = "SELECT sk, data, rev FROM items WHERE pk = ?"
        params: list[Any] = [layout.partition(pk)]
        if low is not None:
            sql += f" AND sk {'>=' if included else '>'} ?"
            params.append(low)
        if high is not None:
            sql += " AND sk < ?"
            params.append(high)
        sql += f" ORDER BY sk {'DESC' if descending else 'ASC'} LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [Item(pk, sk, json.loads(data), rev) for sk, data, rev in rows]

    def counters(self, pk: Partition) -> dict[str, int]:
        """Return every counter of one partition."""
        stored = layout.partition(pk)
        with self._lock:
            rows = self._db.execute("SELECT sk, n FROM counters WHERE pk = ?", (stored,)).fetchall()
        return dict(rows)

    def position(self, key: Position) -> int:
        """Return the version a stream or a log is projected up to."""
        with self._lock:
            row = self._db.execute(
                "SELECT version FROM positions WHERE stream = ?", (layout.position(key),)
            ).fetchone()
        return int(row[0]) if row else 0

    def in_write_order(self, rows: Iterable[tuple[Key, Row]]) -> list[tuple[Key, Row]]:
        """Return ``rows`` in the items table's key order (inserting so is appending)."""
        spelled = _Spelling()
        return sorted(rows, key=lambda row: (spelled[row[0][0]], row[0][1]))

    def commit(self, batch: Batch) -> None:
        """Write ``batch`` in one IMMEDIATE transaction; any unmet expectation undoes it all.

        The expectations are part of the writes themselves (an INSERT fails on an existing
        key, an UPDATE matches only the expected revision), so no item is read first.
        """
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                self._write(db, batch)
            except sqlite3.IntegrityError as error:
                db.execute("ROLLBACK")
                raise ViewConflictError(f"an item or position moved: {error}") from error
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _write(db: sqlite3.Connection, batch: Batch) -> None:
        spelled = _Spelling()
        fresh = [
            (spelled[pk], sk, _encoded(data))
            for (pk, sk), (data, rev) in batch.puts.items()
            if not rev
        ]
        _insert(db, _NEW_ITEMS, fresh)
        for (key, sk), (data, rev) in batch.puts.items():
            if rev:
                pk = spelled[key]
                _expect(
                    db.execute(
                        "UPDATE items SET data = ?, rev = rev + 1 "
                        "WHERE pk = ? AND sk = ? AND rev = ?",
                        (_encoded(data), pk, sk, rev),
                    ),
                    f"item {pk} {sk}",
                )
        for (key, sk), rev in batch.deletes.items():
            pk = layout.partition(key)
            _expect(
                db.execute("DELETE FROM items WHERE pk = ? AND sk = ? AND rev = ?", (pk, sk, rev)),
                f"item {pk} {sk}",
            )
        db.executemany(
            "INSERT INTO counters (pk, sk, n) VALUES (?, ?, ?) "
            "ON CONFLICT (pk, sk) DO UPDATE SET n = n + excluded.n",
            [(layout.partition(pk), sk, n) for (pk, sk), n in batch.adds.items()],
        )
        tracking = batch.tracking.items()
        _insert(
            db, _NEW_POSITIONS, [(layout.position(k), new) for k, (old, new) in tracking if not old]
        )
        for tracked, (old, new) in tracking:
            if old:
                stream = layout.position(tracked)
                _expect(
                    db.execute(
                        "UPDATE positions SET version = ? WHERE stream = ? AND version = ?",
                        (new, stream, old),
                    ),
                    f"stream {stream}",
                )

    def clear(self) -> None:
        """Delete every view, counter and position, the usage counters excepted."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM items")
                db.execute("DELETE FROM counters WHERE substr(sk, 1, ?) <> ?", (len(USAGE), USAGE))
                db.execute("DELETE FROM positions")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def scrub(self) -> None:
        """Copy the write-ahead log into the file and empty it: the log still holds the
        pages as they were before a deletion (waits for readers, as a write does)."""
        for _ in range(_SCRUB_ATTEMPTS):
            with self._lock:
                busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
            time.sleep(_SCRUB_PAUSE)
        msg = f"{self.path}: readers kept the write-ahead log from being emptied; scrub again"
        raise ViewConflictError(msg)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


class _Spelling(dict[Partition, str]):
    """Stored partition keys, each spelled once per batch (an invite's rows share one)."""

    def __missing__(self, pk: Partition) -> str:
        spelled = self[pk] = layout.partition(pk)
        return spelled


def _unencodable(value: object) -> NoReturn:
    raise TypeError(f"a view row holds a {type(value).__name__}, which JSON cannot spell")


def _row_encoder() -> Callable[[Data], str]:
    """Return what spells a row as ``json.dumps(row)`` does, at less cost per row.

    json.dumps sets up an encoder for every call: for a rebuild's many small rows that is a
    third of the cost. CPython's own C encoder (what json.dumps uses) is made once here, and
    without a check for cycles: a row is plain JSON data, never cyclic.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        return json.JSONEncoder(check_circular=False).encode
    # What JSONEncoder.iterencode passes it for json.dumps's defaults, but for the markers:
    # (markers, default, string encoder, indent, key and item separators, sort_keys,
    # skipkeys, allow_nan).
    chunks = make(
        None,
        _unencodable,
        json.encoder.encode_basestring_ascii,
        None,
        ": ",
        ", ",
        False,
        False,
        True,
    )
    return lambda data: "".join(chunks(data, 0))


_ENCODE = _row_encoder()


def _encoded(data: Data) -> str:
    # A bucket index row holds nothing (its key is all it says): a quarter of the rows.
    return _ENCODE(data) if data else "{}"


def _insert(db: sqlite3.Connection, into: tuple[str, str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (tuples of one width) in statements of many rows each."""
    head, shape = into
    whole = len(rows) - len(rows) % _ROWS_PER_INSERT
    if whole:
        statement = head + ", ".join([shape] * _ROWS_PER_INSERT)
        flat = list(chain.from_iterable(rows[:whole]))
        step = len(flat) // (whole // _ROWS_PER_INSERT)
        for start in range(0, len(flat), step):
            db.execute(statement, flat[start : start + step])
    if whole < len(rows):
        db.executemany(head + shape, rows[whole:])


def _expect(cursor: sqlite3.Cursor, what: str) -> None:
    if cursor.rowcount != 1:
        raise ViewConflictError(f"{what} changed since it was read")
