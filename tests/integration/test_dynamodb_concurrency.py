"""Concurrent writers on the DynamoDB event store, over a real HTTP endpoint (moto server).

In-process moto is not thread-safe, so the optimistic-concurrency promise (a conflicting
version is refused whole, the loser retries, no update is lost) is tested against a moto
server on 127.0.0.1 that stops by itself.
"""

from __future__ import annotations

import threading
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

WRITERS = 4
UPDATES = 15


class Tally(Aggregate):
    """A counter many writers bump at once."""

    def __init__(self) -> None:
        self.marks: list[str] = []

    @event("Marked")
    def mark(self, by: str) -> None:
        self.marks.append(by)


def app_on(endpoint: str, table: str) -> Application[UUID]:
    return Application[UUID](
        env={
            "PERSISTENCE_MODULE": "adapters.storage.dynamodb.factory",
            "DYNAMODB_TABLE": table,
            "DYNAMODB_CREATE_TABLE": "y",
            "DYNAMODB_ENDPOINT_URL": endpoint,
            "REGION": "us-east-1",
        }
    )


def test_racing_writers_lose_no_update(endpoint: str) -> None:
    table = f"race-{uuid4().hex[:10]}"
    tally = Tally()
    app_on(endpoint, table).save(tally)
    conflicts: list[int] = []
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        app = app_on(endpoint, table)
        lost = 0
        try:
            for _ in range(UPDATES):
                while True:
                    mine: Tally = app.repository.get(tally.id)
                    mine.mark(by=name)
                    try:
                        app.save(mine)
                        break
                    except IntegrityError:
                        lost += 1  # someone saved that version first: read again, retry
            conflicts.append(lost)
        except BaseException as error:  # a thread's failure must reach the test
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    final: Tally = app_on(endpoint, table).repository.get(tally.id)
    assert len(final.marks) == WRITERS * UPDATES
    assert sorted(set(final.marks)) == [f"w{n}" for n in range(WRITERS)]
    assert final.version == 1 + WRITERS * UPDATES
