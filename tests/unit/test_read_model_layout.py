"""The stored spelling of the read model's typed keys: it round-trips, and it never changes.

Views already stored in SQLite and DynamoDB are read with these strings, so the exact
spellings are pinned here; and the application must never spell one itself.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.readmodels import layout
from application.projections import keys
from application.projections.keys import (
    AttendeeBucket,
    Attendees,
    DomainListing,
    DomainOrganizers,
    DomainUpcoming,
    InviteItems,
    LogPosition,
    Order,
    OrganizerListing,
    OrganizerUpcoming,
    Partition,
    Position,
    Scope,
    Statistics,
    StreamMeta,
    StreamPosition,
    SystemListing,
    SystemOrganizers,
    ViewsVersion,
)

INVITE = "0b7a4c3e-8d2f-5a61-9e0b-3f4c5d6e7f80"

# Every kind of key, and the exact string existing stores hold for it.
STORED: list[tuple[Partition, str]] = [
    (InviteItems(INVITE), f"invite#{INVITE}"),
    (Attendees(INVITE), f"attendees#{INVITE}"),
    (AttendeeBucket(INVITE, "server|2|ACCEPTED|0"), f"bucket#{INVITE}#server|2|ACCEPTED|0"),
    (StreamMeta("stream-1"), "stream#stream-1"),
    (OrganizerListing("ann@example.org", Order.MODIFIED), "organizer#ann@example.org#modified"),
    (OrganizerListing("ann@example.org", Order.START), "organizer#ann@example.org#start"),
    (DomainListing("example.org", 3), "domain#example.org#modified#3"),
    (SystemListing(4), "system#modified#4"),
    (DomainOrganizers("example.org", 2), "organizers#domain#example.org#2"),
    (SystemOrganizers(6), "organizers#system#6"),
    (OrganizerUpcoming("ann@example.org"), "upcoming#organizer#ann@example.org"),
    (DomainUpcoming("example.org", 7), "upcoming#domain#example.org#7"),
    (Statistics(Scope.INVITE, INVITE), f"stats#invite#{INVITE}"),
    (Statistics(Scope.ORGANIZER, "ann@example.org"), "stats#organizer#ann@example.org"),
    (Statistics(Scope.DOMAIN, "example.org", 0), "stats#domain#example.org#0"),
    (Statistics(Scope.SYSTEM, shard=5), "stats#system#5"),
]
POSITIONS: list[tuple[Position, str]] = [
    (StreamPosition(INVITE), INVITE),
    (LogPosition("InviteService"), "log#InviteService"),
    (ViewsVersion(), "views#version"),
]


@pytest.mark.parametrize(("key", "stored"), STORED, ids=[s for _, s in STORED])
def test_each_partition_is_stored_as_existing_views_spell_it(key: Partition, stored: str) -> None:
    assert layout.partition(key) == stored
    assert layout.parse_partition(stored) == key


@pytest.mark.parametrize(("key", "stored"), POSITIONS, ids=[s for _, s in POSITIONS])
def test_positions_are_stored_as_existing_views_spell_them(key: Position, stored: str) -> None:
    assert layout.position(key) == stored
    assert layout.parse_position(stored) == key


def test_every_kind_of_key_is_pinned() -> None:
    assert {type(key) for key, _ in STORED} == set(get_args(Partition))
    assert {type(key) for key, _ in POSITIONS} == set(get_args(Position))


# Free text, '#' included: an address may hold one.
names = st.text(min_size=1, max_size=20)
shards = st.integers(0, 63)
partitions = st.one_of(
    st.builds(InviteItems, names),
    st.builds(Attendees, names),
    # An invite id holds no '#' (it is a UUID); the bucket is free text.
    st.builds(AttendeeBucket, st.uuids().map(str), st.text(max_size=20)),
    st.builds(StreamMeta, names),
    st.builds(OrganizerListing, names, st.sampled_from(Order)),
    st.builds(DomainListing, names, shards),
    st.builds(SystemListing, shards),
    st.builds(DomainOrganizers, names, shards),
    st.builds(SystemOrganizers, shards),
    st.builds(OrganizerUpcoming, names),
    st.builds(DomainUpcoming, names, shards),
    st.builds(Statistics, st.sampled_from([Scope.INVITE, Scope.ORGANIZER]), names, st.none()),
    st.builds(Statistics, st.just(Scope.DOMAIN), names, shards),
    st.builds(Statistics, st.just(Scope.SYSTEM), st.just(""), shards),
)


@given(partitions)
def test_any_partition_round_trips(key: Partition) -> None:
    assert layout.parse_partition(layout.partition(key)) == key


@given(
    st.one_of(
        st.builds(StreamPosition, st.uuids().map(str)),
        st.builds(LogPosition, names),
        st.just(ViewsVersion()),
    )
)
def test_any_position_round_trips(key: Position) -> None:
    assert layout.parse_position(layout.position(key)) == key


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "invites#x",
        "organizer#ann@example.org#soon",
        "domain#d#start#1",
        "domain#d#modified#x",
        "upcoming#team#x",
        "stats#team#x",
        "stats#system#",
        "stats#invite#",
        "bucket#no-bucket",
        "system#start#1",
        "system#modified#",
        "organizers#team#1",
        "organizers#domain#example.org",
    ],
)
def test_strings_no_key_spells_are_refused(stored: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each is refused for its own reason
        layout.parse_partition(stored)


@pytest.mark.parametrize(
    ("scope", "name", "shard"),
    [
        (Scope.INVITE, INVITE, 1),
        (Scope.ORGANIZER, "", None),
        (Scope.DOMAIN, "example.org", None),
        (Scope.SYSTEM, "x", 1),
    ],
)
def test_statistics_are_named_and_sharded_as_their_scope_requires(
    scope: Scope, name: str, shard: int | None
) -> None:
    with pytest.raises(ValueError, match="statistics are"):
        layout.partition(Statistics(scope, name, shard))


def test_the_application_spells_no_storage_key() -> None:
    # Issue 14: key layouts live in the adapters. Only keys.py joins a listing's sort key.
    folder = Path(keys.__file__).parent
    for module in sorted(folder.glob("*.py")):
        if module.name == "keys.py":
            continue
        tree = ast.parse(module.read_text())
        skipped = {id(node) for node in ast.walk(tree) for node in _docstring(node)}
        spelled = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "#" in node.value
            and id(node) not in skipped
        ]
        assert spelled == [], module.name


def _docstring(node: ast.AST) -> list[ast.expr]:
    documented = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
    if isinstance(node, documented) and node.body and isinstance(node.body[0], ast.Expr):
        return [node.body[0].value]
    return []
