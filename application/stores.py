"""How use cases read aggregates without knowing the repository's exceptions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate, DomainEventProtocol

A = TypeVar("A", bound=Aggregate)


def project(aggregate: Any, events: Iterable[DomainEventProtocol[Any]]) -> Any:
    """Apply ``events`` in turn to ``aggregate`` (None before the first): eventsourcing's
    ``project_aggregate`` without its ``assert isinstance(event, CanMutateProtocol)``, which
    checks a runtime protocol's members on every event, about 40 µs each, a quarter of loading
    a small aggregate (an API key, a delivery)."""
    for event in events:
        aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
    return aggregate


class Loader(Protocol):
    """Returns the aggregate of the given type and id, or None when none is stored."""

    def __call__(self, kind: type[A], aggregate_id: UUID) -> A | None: ...


def loader(repository: Repository[UUID], snapshotted: Iterable[type[Any]] = ()) -> Loader:
    """Return a :class:`Loader` over an eventsourcing repository.

    A kind of aggregate that is never snapshotted (no class in ``snapshotted`` is one of it)
    is read with one query for its events: eventsourcing's repository would first ask for a
    snapshot that cannot exist, a second query on every load of every delivery, suppression
    and roster page of a bulk send.
    """
    kinds = tuple(snapshotted)
    events_only: dict[type[Any], bool] = {}

    def load(kind: type[A], aggregate_id: UUID) -> A | None:
        single = events_only.get(kind)
        if single is None:
            single = not any(issubclass(k, kind) for k in kinds)
            events_only[kind] = single
        found: object
        if single and repository.cache is None:
            stored = repository.event_store.get(aggregate_id)
            found = project(None, stored)
            if found is None:
                return None
        else:
            try:
                found = repository.get(aggregate_id, projector_func=project)
            except AggregateNotFoundError:
                return None
        return _checked(kind, aggregate_id, found)

    return load


class VersionLoader(Protocol):
    """Returns the aggregate of the given type and id as it stood at ``version`` (from a
    snapshot at or before it where one is kept), or None when none is stored."""

    def __call__(self, kind: type[A], aggregate_id: UUID, version: int) -> A | None: ...


def version_loader(repository: Repository[UUID]) -> VersionLoader:
    """Return a :class:`VersionLoader` over an eventsourcing repository."""

    def load_at(kind: type[A], aggregate_id: UUID, version: int) -> A | None:
        try:
            found = repository.get(aggregate_id, version=version, projector_func=project)
        except AggregateNotFoundError:
            return None
        return _checked(kind, aggregate_id, found)

    return load_at


def _checked(kind: type[A], aggregate_id: UUID, found: object) -> A:
    """Return ``found``, the aggregate stored as ``aggregate_id``, if it is a ``kind``."""
    if not isinstance(found, kind):
        msg = f"{aggregate_id} is a {type(found).__name__}, not a {kind.__name__}"
        raise TypeError(msg)
    return found


class ManyLoader(Protocol):
    """Returns the stored aggregates among ``aggregate_ids`` (of any kind), by id: one read
    for all of them where the store can, one per id where it cannot. An id missing from the
    answer has nothing stored."""

    def __call__(self, aggregate_ids: Sequence[UUID]) -> Mapping[UUID, Aggregate]: ...


def one_by_one(load: Loader) -> ManyLoader:
    """Return a :class:`ManyLoader` that asks ``load`` for each id in turn."""

    def load_many(aggregate_ids: Sequence[UUID]) -> Mapping[UUID, Aggregate]:
        found = ((i, load(Aggregate, i)) for i in aggregate_ids)
        return {i: aggregate for i, aggregate in found if aggregate is not None}

    return load_many


def preloaded(load: Loader, asked: Iterable[UUID], found: Mapping[UUID, Aggregate]) -> Loader:
    """Return a :class:`Loader` answering the ``asked`` ids from ``found`` (what one read of
    them returned) and any other id from ``load``.

    The answers are the aggregates as read then: a use case that saves one of them, or reads
    it again after a conflict, must preload again (as it must load again).
    """
    known = frozenset(asked)

    def load_preloaded(kind: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id not in known:
            return load(kind, aggregate_id)
        aggregate = found.get(aggregate_id)
        return None if aggregate is None else _checked(kind, aggregate_id, aggregate)

    return load_preloaded
