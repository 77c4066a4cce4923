"""The embedded event store: eventsourcing's SQLite module, with WAL synchronous=NORMAL.

Select it with ``PERSISTENCE_MODULE=adapters.storage.sqlite``. Why NORMAL: in WAL mode it
never corrupts the database and survives any process crash; only a power loss can roll back
the last few commits. Those are recoverable, because every raw message is fsynced to the
blob store before it is processed and ingesting is idempotent (``cis reingest``).
``SQLITE_SYNCHRONOUS=FULL`` restores an fsync per commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import eventsourcing.sqlite as es_sqlite
from eventsourcing.persistence import InfrastructureFactoryError, StoredEvent
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool
from eventsourcing.utils import Environment, EnvType

from adapters.privacy.sqlite_keys import SqlitePersonalKeys

SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


class _TunedConnectionPool(SQLiteConnectionPool):
    synchronous = "NORMAL"

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        # The level is one of SYNCHRONOUS_LEVELS, checked below: never user text in SQL.
        connection._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return connection


class _ManyStreamsRecorder(es_sqlite.SQLiteApplicationRecorder):
    """eventsourcing's recorder, able to read many streams in one query (a bulk send reads
    the delivery, suppression and block records of a chunk of recipients at once)."""

    # Under SQLite's oldest limit on bound parameters (999).
    BATCH = 500

    def select_streams(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Return each stream's events in order, for the ids that have any."""
        found: dict[UUID, list[StoredEvent]] = {}
        ids = list(dict.fromkeys(originator_ids))
        for start in range(0, len(ids), self.BATCH):
            part = [stream.hex for stream in ids[start : start + self.BATCH]]
            # The table name is eventsourcing's own; only the ids are parameters.
            statement = (
                f"SELECT originator_id, originator_version, topic, state "  # noqa: S608
                f"FROM {self.events_table_name} "
                f"WHERE originator_id IN ({','.join('?' * len(part))}) "
                "ORDER BY originator_id, originator_version"
            )
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, part)
                rows = cursor.fetchall()
            for row in rows:
                stream = UUID(row["originator_id"])
                found.setdefault(stream, []).append(
                    StoredEvent(
                        originator_id=stream,
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=row["state"],
                    )
                )
        return found


# Subclassed through its module: eventsourcing wants exactly one factory class named here.
class SQLiteFactory(es_sqlite.SQLiteFactory):
    """eventsourcing's SQLite factory with a chosen ``PRAGMA synchronous`` level."""

    SQLITE_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"
    application_recorder_class = _ManyStreamsRecorder

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        level = (self.env.get(self.SQLITE_SYNCHRONOUS) or "NORMAL").strip().upper()
        if level not in SYNCHRONOUS_LEVELS:
            msg = f"{self.SQLITE_SYNCHRONOUS} must be one of {', '.join(SYNCHRONOUS_LEVELS)}"
            raise InfrastructureFactoryError(msg)
        old = self.datastore.pool
        pool = _TunedConnectionPool(db_name=old.db_name, lock_timeout=old.lock_timeout)
        pool.synchronous = level
        # No connection exists yet (the pool connects lazily), so swapping loses nothing.
        self.datastore.pool = pool

    def personal_keys(self) -> SqlitePersonalKeys:
        """Per-person keys in the same database file as the events they seal."""
        return SqlitePersonalKeys(self.datastore)
