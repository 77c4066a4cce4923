"""Per-person keys in the event store's DynamoDB table, in key spaces of their own.

``person#salt``: the salt of key ids. ``person#key#<kid>``: a person's key, or their
tombstone once erased (``erased_at``, no key). ``person#stream#<uuid>``: the person a stream
is about; ``person#streams#<kid>``: the streams of one person (sort key: the stream id's top
117 bits, which fit DynamoDB's 38-digit numbers). Deleting an item leaves nothing readable.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from adapters.storage.dynamodb.table import MAX_TRANSACTION_ITEMS, DynamoTable, Item, key
from application.privacy.keys import PersonalKeys

_SALT = "person#salt"


def _key_pk(kid: str) -> str:
    return f"person#key#{kid}"


class DynamoPersonalKeys(PersonalKeys):
    """:class:`application.privacy.keys.PersonalKeys` in the event store's DynamoDB table."""

    def __init__(self, table: DynamoTable) -> None:
        self.table = table

    def _put_new(self, item: dict[str, Any]) -> bool:
        try:
            self.table.transact([self.table.put(item, condition="attribute_not_exists(pk)")])
        except IntegrityError:
            return False
        return True

    def salt(self) -> bytes:
        self._put_new({**key(_SALT, 0), "salt": {"B": secrets.token_bytes(32)}})
        item = self.table.get(_SALT, 0)
        assert item is not None
        return bytes(item["salt"]["B"])

    def get(self, kid: str) -> bytes | None:
        item = self.table.get(_key_pk(kid), 0)
        return None if item is None or "key" not in item else bytes(item["key"]["B"])

    def keep(
        self, keys: Mapping[str, bytes], owners: Mapping[UUID, str]
    ) -> dict[str, bytes | None]:
        notes = [put for stream, kid in owners.items() for put in self._notes(stream, kid)]
        made = {
            kid: self.table.put(
                {**key(_key_pk(kid), 0), "key": {"B": new}}, condition="attribute_not_exists(pk)"
            )
            for kid, new in keys.items()
        }
        operations = [*notes, *made.values()]
        if len(operations) <= MAX_TRANSACTION_ITEMS:
            try:
                self.table.transact(operations)
            except IntegrityError:
                pass  # someone's key exists already (or a tombstone): one by one, below
            else:
                return dict(keys)
        for start in range(0, len(notes), MAX_TRANSACTION_ITEMS):
            self.table.transact(notes[start : start + MAX_TRANSACTION_ITEMS])
        kept: dict[str, bytes | None] = {}
        for kid, put in made.items():
            try:
                self.table.transact([put])
            except IntegrityError:
                kept[kid] = self.get(kid)
            else:
                kept[kid] = keys[kid]
        return kept

    def _notes(self, stream: UUID, kid: str) -> list[Item]:
        return [
            self.table.put({**key(f"person#stream#{stream}", 0), "kid": {"S": kid}}),
            self.table.put(
                {**key(f"person#streams#{kid}", stream.int >> 11), "stream": {"S": str(stream)}}
            ),
        ]

    def erased(self, kid: str) -> datetime | None:
        item = self.table.get(_key_pk(kid), 0)
        if item is None or "erased_at" not in item:
            return None
        return datetime.fromisoformat(item["erased_at"]["S"])

    def erase(self, kid: str, at: datetime) -> bool:
        if self.erased(kid) is not None:
            return False
        tombstone = {**key(_key_pk(kid), 0), "erased_at": {"S": at.isoformat()}}
        self.table.transact([self.table.put(tombstone)])
        return True

    def owner(self, stream: UUID) -> str | None:
        item = self.table.get(f"person#stream#{stream}", 0)
        return None if item is None else str(item["kid"]["S"])

    def streams(self, kid: str) -> Sequence[UUID]:
        return [UUID(item["stream"]["S"]) for item in self.table.query(f"person#streams#{kid}")]

    def forget_traces(self) -> None:
        return
