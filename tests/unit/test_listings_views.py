"""The administrators' views: every invite, newest change first, and the organizer directory
(everyone's or one domain's, by address), in every read-model store; and an existing store
built before these views existed is rebuilt when the runner next runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from adapters.readmodels.memory import MemoryReadModel
from adapters.readmodels.sqlite import SqliteReadModel
from application.projections.keys import (
    VIEWS_VERSION,
    AttendeeBucket,
    DomainOrganizers,
    SystemListing,
    SystemOrganizers,
    ViewsVersion,
)
from application.projections.queries import Page, Reports
from application.projections.runner import ProjectionRunner
from application.projections.store import Batch, ReadModel
from tests.driver import Driver
from tests.fakes import at, deliver, new_service, request

# Three organizers over two domains; ann has two invites, so she is listed once all the same.
INVITES = [
    ("ann@one.example", "a-1"),
    ("bob@two.example", "b-1"),
    ("ann@one.example", "a-2"),
    ("cy@one.example", "c-1"),
]


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadModel]:
    if request.param == "memory":
        yield MemoryReadModel()
        return
    if request.param == "dynamodb":
        from adapters.readmodels.dynamodb import DynamoReadModel

        request.getfixturevalue("aws")
        yield DynamoReadModel(f"views-{uuid4().hex[:10]}", region="us-east-1", create=True)
        return
    sqlite = SqliteReadModel(tmp_path / "views.sqlite3")
    yield sqlite
    sqlite.close()


def organizers_invites() -> Driver:
    """Each invite created a minute after the previous, then the first one updated last."""
    service = new_service()
    for n, (organizer, uid) in enumerate(INVITES):
        result = deliver(
            service,
            request(uid=uid, organizer=organizer, sender=organizer, dtstamp=at(n)),
            now=at(n),
        )
        assert result.invite is not None, result
    organizer, uid = INVITES[0]
    update = request(uid=uid, organizer=organizer, sender=organizer, sequence=1, dtstamp=at(10))
    assert deliver(service, update, now=at(10)).invite is not None
    return service


def every_page(read: Any, limit: int) -> list[dict[str, Any]]:
    """Follow the cursors to the end; return every item, checking pages are full until it."""
    page: Page = read(cursor=None, limit=limit)
    items = list(page.items)
    while page.cursor is not None:
        assert len(page.items) == limit
        page = read(cursor=page.cursor, limit=limit)
        items += page.items
    return items


def test_every_invite_is_listed_newest_change_first_in_every_store(store: ReadModel) -> None:
    service = organizers_invites()
    ProjectionRunner(service.store, store).run()
    reports = Reports(store)

    listed = every_page(reports.all_invites, limit=3)

    assert (
        [(i["organizer"], i["uid"]) for i in listed]
        == [
            INVITES[0],  # updated last
            *reversed(INVITES[1:]),
        ]
    )
    # The same summaries as an organizer's own listing.
    own = reports.organizer_invites("ann@one.example").items
    assert [i for i in listed if i["organizer"] == "ann@one.example"] == own
    assert every_page(reports.all_invites, limit=1) == listed


def test_the_organizer_directory_lists_each_organizer_once_by_address(store: ReadModel) -> None:
    service = organizers_invites()
    ProjectionRunner(service.store, store).run()
    reports = Reports(store)

    def everyone(**kw: Any) -> list[dict[str, Any]]:
        return reports.organizers(**kw).items

    assert every_page(lambda **kw: reports.organizers(**kw), limit=2) == [
        {"organizer": "ann@one.example", "domain": "one.example"},
        {"organizer": "bob@two.example", "domain": "two.example"},
        {"organizer": "cy@one.example", "domain": "one.example"},
    ]
    assert [o["organizer"] for o in everyone(domain="one.example")] == [
        "ann@one.example",
        "cy@one.example",
    ]
    one = every_page(lambda **kw: reports.organizers("one.example", **kw), limit=1)
    assert one == everyone(domain="one.example")
    assert everyone(domain="three.example") == []


def test_a_directory_entry_is_written_once_however_many_invites(tmp_path: Path) -> None:
    service = organizers_invites()
    store = MemoryReadModel()
    ProjectionRunner(service.store, store, batch=1).run()
    shards = [SystemOrganizers(s) for s in range(8)]
    entries = [item for pk in shards for item in store.query(pk)]
    ann = [item for item in entries if item.sk == "ann@one.example"]
    # Written by her first invite; her second and the update found it there already.
    assert [item.rev for item in ann] == [1]


def test_views_built_before_this_version_are_rebuilt_by_the_next_run() -> None:
    service = organizers_invites()
    current = MemoryReadModel()
    runner = ProjectionRunner(service.store, current)
    runner.run()
    assert current.position(ViewsVersion()) == VIEWS_VERSION

    # A store as the previous version left it: no version, none of the views it lacked.
    new_kinds = (SystemListing, SystemOrganizers, DomainOrganizers, AttendeeBucket)
    old = MemoryReadModel()
    for batch in current.batches(1000):
        old.commit(
            Batch(
                puts={k: v for k, v in batch.puts.items() if not isinstance(k[0], new_kinds)},
                adds=batch.adds,
                tracking={k: v for k, v in batch.tracking.items() if k != ViewsVersion()},
            )
        )
    assert Reports(old).all_invites().items == []
    upgraded = ProjectionRunner(service.store, old)
    assert upgraded.outdated()

    assert upgraded.run() > 0

    assert not upgraded.outdated()
    assert Reports(old).all_invites().items == Reports(current).all_invites().items
    assert Reports(old).organizers().items == Reports(current).organizers().items
    assert upgraded.run() == 0  # then only what is new, as before


def test_a_fresh_store_is_of_the_current_version_without_a_rebuild() -> None:
    service = new_service()
    store = MemoryReadModel()
    runner = ProjectionRunner(service.store, store)
    assert not runner.outdated()
    deliver(service, request(uid="x-1", organizer="dee@one.example", sender="dee@one.example"))
    runner.run()
    assert (store.position(ViewsVersion()), runner.outdated()) == (VIEWS_VERSION, False)
