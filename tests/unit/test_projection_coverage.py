"""Every event of an aggregate the views are made of is projected or explicitly ignored."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from application.projections.events import INVITE_SENDER_NOTED, PROJECTED_AGGREGATES, events_of
from application.projections.projector import (
    HANDLERS,
    IGNORED,
    Projector,
    Route,
    UnknownEventError,
)
from domain.invite import Invite


def test_every_event_of_a_projected_aggregate_is_projected_or_ignored() -> None:
    defined = {cls for aggregate in PROJECTED_AGGREGATES for cls in events_of(aggregate)}
    unhandled = defined - HANDLERS.keys() - IGNORED
    assert not sorted(get_topic(cls) for cls in unhandled)


def test_the_registry_names_only_events_the_aggregates_define() -> None:
    defined = {cls for aggregate in PROJECTED_AGGREGATES for cls in events_of(aggregate)}
    assert not sorted(get_topic(cls) for cls in (HANDLERS.keys() | IGNORED) - defined)
    assert not HANDLERS.keys() & IGNORED


def test_introspection_finds_an_event_added_to_an_aggregate() -> None:
    class Gathering(Aggregate):
        @event("Planned")
        def plan(self) -> None:
            """An event no registry knows."""

    made: Any = Gathering
    assert made.Planned in events_of(Gathering)


def test_routes_stored_topics_by_their_classes() -> None:
    projector = Projector()
    assert projector.route(get_topic(Invite.Created)) is Route.PROJECT
    assert projector.route(get_topic(INVITE_SENDER_NOTED)) is Route.SKIP
    assert projector.route("domain.organizer:Organizer.Registered") is Route.NONE
    assert projector.route("domain.gone:Gone.Happened") is Route.NONE


def test_an_unknown_event_of_a_projected_aggregate_fails_loudly() -> None:
    # A renamed @event method leaves stored topics its old name: they must not be dropped.
    with pytest.raises(UnknownEventError):
        Projector().route("domain.invite:Invite.Renamed")


def test_an_event_class_of_a_projected_aggregate_missing_from_the_registry_fails_loudly() -> None:
    class Extended(Invite):
        @event("Extended")
        def extend(self) -> None:
            """An event the projector does not know."""

    made: Any = Extended  # the @event class exists at runtime only
    with pytest.raises(UnknownEventError):
        Projector().route(get_topic(made.Extended))
