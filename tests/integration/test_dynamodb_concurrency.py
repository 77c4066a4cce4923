"""Concurrent writers on the DynamoDB event store, over a real HTTP endpoint (moto server).

In-process moto is not thread-safe, so the optimistic-concurrency promise (a conflicting
version is refused whole, the loser retries, no update is lost) is tested against a moto
server on 127.0.0.1 that stops by itself. The writers race; the server answers one request
at a time, as DynamoDB applies each request atomically: moto undoes a refused transaction by
putting back a copy of the whole table taken before it, which would erase another writer's
commit made meanwhile (seen on a loaded machine as a missing event version).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from tests.conftest import moto_endpoint

WRITERS = 4
UPDATES = 15


class Tally(Aggregate):
    """A counter many writers bump at once."""

    def __init__(self) -> None:
        self.marks: list[str] = []

    @event("Marked")
    def mark(self, by: str) -> None:
        self.marks.append(by)


class OneRequestAtATime(ThreadedMotoServer):
    """A moto server that handles one request at a time (each atomic, as DynamoDB's are)."""

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def serialized(environ: dict[str, Any], start_response: Any) -> Any:
            with lock:
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, serialized, threaded=True)
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from moto_endpoint(monkeypatch, OneRequestAtATime)


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
