"""Every store of per-person keys keeps the same promises: one key per person however many
make it at once, a tombstone that outlives the key and refuses a new one, and each person's
streams found again."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from adapters.storage.dynamodb.factory import DynamoDBFactory
from adapters.storage.sqlite import SQLiteFactory
from application.privacy.keys import PersonalKeys
from application.privacy.memory_keys import MemoryPersonalKeys

NOW = datetime(2026, 12, 4, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PersonalKeys]:
    if request.param == "memory":
        yield MemoryPersonalKeys()
    elif request.param == "sqlite":
        factory = SQLiteFactory({"SQLITE_DBNAME": str(tmp_path / "events.sqlite3")})
        yield factory.personal_keys()
    else:
        request.getfixturevalue("aws")
        yield DynamoDBFactory(
            {
                "DYNAMODB_TABLE": f"events-{uuid4().hex[:8]}",
                "DYNAMODB_CREATE_TABLE": "y",
                "REGION": "us-east-1",
            }
        ).personal_keys()


def test_the_salt_is_made_once(keys: PersonalKeys) -> None:
    assert len(keys.salt()) == 32
    assert keys.salt() == keys.salt()


def test_a_person_has_one_key_whoever_makes_it_first(keys: PersonalKeys) -> None:
    made = [secrets.token_bytes(32) for _ in range(8)]
    with ThreadPoolExecutor(4) as pool:
        kept = list(pool.map(lambda key: keys.create("kid-1", key), made))
    assert len(set(kept)) == 1
    assert kept[0] in made
    assert keys.get("kid-1") == kept[0]
    assert keys.get("kid-2") is None


def test_an_erased_person_keeps_a_tombstone_and_gets_no_new_key(keys: PersonalKeys) -> None:
    key = keys.create("kid-1", secrets.token_bytes(32))
    assert key is not None
    assert keys.erased("kid-1") is None
    assert keys.erase("kid-1", NOW)
    assert keys.get("kid-1") is None
    assert keys.erased("kid-1") == NOW
    assert keys.create("kid-1", secrets.token_bytes(32)) is None
    assert keys.own(uuid4(), "kid-1", secrets.token_bytes(32)) is None
    assert not keys.erase("kid-1", NOW)
    # A person never keyed can be erased too (a request before any mail): never mailed.
    assert keys.erase("kid-never", NOW)
    assert keys.create("kid-never", secrets.token_bytes(32)) is None


def test_each_persons_streams_are_found_again(keys: PersonalKeys) -> None:
    first, second, other = uuid4(), uuid4(), uuid4()
    key = keys.own(first, "kid-1", secrets.token_bytes(32))
    assert key is not None
    assert keys.own(second, "kid-1", secrets.token_bytes(32)) == key
    keys.own(first, "kid-1", secrets.token_bytes(32))  # again: nothing changes
    keys.own(other, "kid-2", secrets.token_bytes(32))
    assert sorted(keys.streams("kid-1")) == sorted([first, second])
    assert keys.owner(first) == "kid-1"
    assert keys.owner(uuid4()) is None
    assert keys.streams("kid-3") == []


def test_sqlite_keeps_no_byte_of_an_erased_key(tmp_path: Path) -> None:
    factory = SQLiteFactory({"SQLITE_DBNAME": str(tmp_path / "events.sqlite3")})
    keys = factory.personal_keys()
    secret = secrets.token_bytes(32)
    keys.create("kid-1", secret)
    for n in range(200):
        keys.create(f"kid-other-{n}", secrets.token_bytes(32))
    files = sorted(tmp_path.iterdir())
    assert any(secret in path.read_bytes() for path in files)
    keys.erase("kid-1", NOW)
    keys.forget_traces()
    assert not any(secret in path.read_bytes() for path in sorted(tmp_path.iterdir()))
