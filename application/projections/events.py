"""Naming stored events the way projections dispatch on them."""

from __future__ import annotations

from eventsourcing.domain import DomainEvent


def kind_of(event: DomainEvent) -> str:
    """Return ``Aggregate.Event`` (e.g. ``Invite.Updated``) for a domain event."""
    return type(event).__qualname__
