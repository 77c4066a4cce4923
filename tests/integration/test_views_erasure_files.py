"""Erasure leaves no byte of the person in the stored views: the SQLite files (the database,
its write-ahead log and shared memory) and, under moto, the DynamoDB table; and the stored
views equal those a replay of the erased events builds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import DomainEvent

from adapters.readmodels.dynamodb import DynamoReadModel
from adapters.readmodels.sqlite import SqliteReadModel
from application.projections.keys import Attendees
from application.projections.queries import Reports
from domain.delivery import Delivery
from domain.reply_tokens import reply_token
from tests.fakes import at
from tests.unit.test_views_erasure import (
    ERASED_ADDRESS,
    NAME,
    PERSON,
    SECRET,
    Story,
    decoded_after_erasure,
    erase,
    person_streams,
    project,
    told,
)

# Enough other attendees that the invite's rows fill many pages, interior ones included.
CROWD = 1500
# Every way the person may be spelled in a stored byte (JSON escapes the ë).
TRACES = [
    PERSON.encode(),
    NAME.lower().encode(),
    json.dumps(NAME).strip('"').lower().encode(),
    b"quintessa",
]


def crowded(story: Story) -> list[DomainEvent]:
    """The story's events and a crowd's deliveries, so the views span many pages."""
    events = list(story.events)
    for n in range(CROWD):
        address = f"guest{n:05}@example.com"
        delivery = Delivery(
            token=reply_token(SECRET, story.invite.id, address), invite=story.invite.id,
            address=address, name=f"Guest {n}", origin="bulk", timestamp=at(1000 + n),
        )  # fmt: skip
        events += [e for e in delivery.collect_events() if isinstance(e, DomainEvent)]
    return events


def traces_in(folder: Path) -> dict[str, list[bytes]]:
    """Every file of the folder that holds a trace of the person, case-insensitively."""
    found = {}
    for path in sorted(folder.iterdir()):
        data = path.read_bytes().lower()
        hits = [trace for trace in TRACES if trace in data]
        if hits:
            found[path.name] = hits
    return found


def sqlite_dump(path: Path) -> dict[str, Any]:
    """The items and the counters of a views file (no revisions: they count writes)."""
    with sqlite3.connect(path) as db:
        items = db.execute("SELECT pk, sk, data FROM items ORDER BY pk, sk").fetchall()
        counters = db.execute("SELECT pk, sk, n FROM counters WHERE n != 0 ORDER BY pk, sk")
        return {"items": items, "counters": counters.fetchall()}


def test_no_byte_of_the_person_remains_in_the_sqlite_files(tmp_path: Path) -> None:
    story = told()
    events = crowded(story)
    folder = tmp_path / "views"
    folder.mkdir()
    views = SqliteReadModel(folder / "views.sqlite3")
    project(views, events)
    assert traces_in(folder), "the person is in the views before the erasure"
    reports = Reports(views)
    before = (reports.statistics(story.invite.id), reports.system_statistics())
    assert erase(views, story)
    views.scrub()
    assert traces_in(folder) == {}
    assert (reports.statistics(story.invite.id), reports.system_statistics()) == before
    row = views.get(Attendees(story.id), ERASED_ADDRESS)
    assert row is not None
    assert row.data["name"] is None
    # And the views are those a replay of the erased events builds, byte for byte of data.
    replayed = SqliteReadModel(tmp_path / "replayed.sqlite3")
    project(replayed, [decoded_after_erasure(e, person_streams(story)) for e in events])
    views.close()
    replayed.close()
    assert sqlite_dump(folder / "views.sqlite3") == sqlite_dump(tmp_path / "replayed.sqlite3")


@pytest.mark.parametrize(("secure", "scrubbed"), [(False, True), (True, False)])
def test_without_either_precaution_the_bytes_would_stay(
    tmp_path: Path, secure: bool, scrubbed: bool
) -> None:
    """The check above can fail: without secure deletion the deleted row stays in the free
    space of its page; without the scrub, in the write-ahead log (and the file itself)."""
    story = told()
    views = SqliteReadModel(tmp_path / "views.sqlite3")
    if not secure:
        views._db.execute("PRAGMA secure_delete=OFF")
    project(views, crowded(story))
    erase(views, story)
    if scrubbed:
        views.scrub()
    assert "views.sqlite3" in traces_in(tmp_path)
    views.close()


def test_a_rebuild_after_the_erasure_leaves_no_byte_either(tmp_path: Path) -> None:
    """`cis replay` clears the views first: what it deletes is zeroed as well."""
    story = told()
    events = crowded(story)
    views = SqliteReadModel(tmp_path / "views.sqlite3")
    project(views, events)
    views.clear()
    project(views, [decoded_after_erasure(e, person_streams(story)) for e in events])
    views.scrub()
    assert traces_in(tmp_path) == {}
    views.close()


@pytest.mark.usefixtures("aws")
def test_no_item_of_the_dynamodb_views_holds_the_person() -> None:
    story = told()
    views = DynamoReadModel(f"views-{uuid4().hex[:10]}", region="us-east-1", create=True)
    project(views, story.events)
    assert _scanned(views), "the person is in the table before the erasure"
    assert erase(views, story)
    views.scrub()
    assert _scanned(views) == []
    assert Reports(views).attendees(story.invite.id).items[-1]["address"] == ERASED_ADDRESS


def _scanned(views: DynamoReadModel) -> list[str]:
    """Every item of the table that holds a trace of the person (a test may scan)."""
    pages = views.client.get_paginator("scan").paginate(TableName=views.table_name)
    items = [json.dumps(item).lower().encode() for page in pages for item in page["Items"]]
    return [item.decode() for item in items if any(trace in item for trace in TRACES)]
