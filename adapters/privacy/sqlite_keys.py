"""Per-person keys in the event store's own SQLite file.

The same file, not a second one: in WAL mode a commit that survives a crash or power loss
implies every earlier commit of that file survives, so a key is never lost while an event
sealed with it is kept. Keys are deleted with ``secure_delete`` and the WAL is truncated
afterwards, or the key's bytes would outlive it in a free page or an old WAL frame.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.sqlite import SQLiteDatastore

from application.privacy.keys import PersonalKeys

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS personal_salt (id INTEGER PRIMARY KEY CHECK (id = 1), salt BLOB)",
    "CREATE TABLE IF NOT EXISTS personal_keys (kid TEXT PRIMARY KEY, key BLOB, erased_at TEXT)",
    "CREATE TABLE IF NOT EXISTS personal_streams (stream TEXT PRIMARY KEY, kid TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS personal_streams_kid ON personal_streams (kid)",
)


class SqlitePersonalKeys(PersonalKeys):
    """:class:`application.privacy.keys.PersonalKeys` in the event store's SQLite database."""

    def __init__(self, datastore: SQLiteDatastore) -> None:
        self.datastore = datastore
        self._ready = False
        self._lock = threading.Lock()

    def _schema(self) -> None:
        if self._ready:
            return
        with self._lock, self.datastore.transaction(commit=True) as cursor:
            for statement in _SCHEMA:
                cursor.execute(statement)
            self._ready = True

    def salt(self) -> bytes:
        self._schema()
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT OR IGNORE INTO personal_salt (id, salt) VALUES (1, ?)",
                (secrets.token_bytes(32),),
            )
            cursor.execute("SELECT salt FROM personal_salt WHERE id = 1")
            return bytes(cursor.fetchone()[0])

    def get(self, kid: str) -> bytes | None:
        self._schema()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT key FROM personal_keys WHERE kid = ?", (kid,))
            row = cursor.fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def keep(
        self, keys: Mapping[str, bytes], owners: Mapping[UUID, str]
    ) -> dict[str, bytes | None]:
        self._schema()
        with self.datastore.transaction(commit=True) as cursor:
            cursor.executemany(
                "INSERT OR IGNORE INTO personal_streams (stream, kid) VALUES (?, ?)",
                [(str(stream), kid) for stream, kid in owners.items()],
            )
            cursor.executemany(
                "INSERT OR IGNORE INTO personal_keys (kid, key) VALUES (?, ?)", list(keys.items())
            )
            kept: dict[str, bytes | None] = {}
            for kid in keys:
                cursor.execute("SELECT key FROM personal_keys WHERE kid = ?", (kid,))
                row = cursor.fetchone()
                kept[kid] = None if row[0] is None else bytes(row[0])
        return kept

    def erased(self, kid: str) -> datetime | None:
        self._schema()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT erased_at FROM personal_keys WHERE kid = ?", (kid,))
            row = cursor.fetchone()
        return None if row is None or row[0] is None else datetime.fromisoformat(row[0])

    def erase(self, kid: str, at: datetime) -> bool:
        self._schema()
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute("SELECT erased_at FROM personal_keys WHERE kid = ?", (kid,))
            row = cursor.fetchone()
            if row is not None and row[0] is not None:
                return False
            # Delete, then insert the tombstone: an UPDATE may leave the old cell's bytes.
            cursor.execute("DELETE FROM personal_keys WHERE kid = ?", (kid,))
            cursor.execute(
                "INSERT INTO personal_keys (kid, key, erased_at) VALUES (?, NULL, ?)",
                (kid, at.isoformat()),
            )
        return True

    def owner(self, stream: UUID) -> str | None:
        self._schema()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT kid FROM personal_streams WHERE stream = ?", (str(stream),))
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    def streams(self, kid: str) -> Sequence[UUID]:
        self._schema()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT stream FROM personal_streams WHERE kid = ?", (kid,))
            return [UUID(row[0]) for row in cursor.fetchall()]

    def forget_traces(self) -> None:
        with self.datastore.get_connection(commit=True) as connection:
            # Best effort: a reader holding an old snapshot keeps the WAL until it finishes;
            # the next checkpoint (SQLite runs one every 1,000 pages) then drops it.
            connection._sqlite_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
