"""How use cases read aggregates without knowing the repository's exceptions."""

from __future__ import annotations

from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)


class Loader(Protocol):
    """Returns the aggregate of the given type and id, or None when none is stored."""

    def __call__(self, kind: type[A], aggregate_id: UUID) -> A | None: ...


def loader(repository: Repository[UUID]) -> Loader:
    """Return a :class:`Loader` over an eventsourcing repository."""

    def load(kind: type[A], aggregate_id: UUID) -> A | None:
        try:
            found: object = repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(found, kind):
            msg = f"{aggregate_id} is a {type(found).__name__}, not a {kind.__name__}"
            raise TypeError(msg)
        return found

    return load
