"""The main property: any delivery order, with redeliveries, converges.

See docs/architecture.md, iTIP rules.

Also: loading an aggregate (from a snapshot or not) equals replaying its events, and no
message whatsoever makes ``Driver.ingest`` raise.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.errors import InviteNotFoundError
from domain.attendance import Attendance
from domain.identity import attendance_id, invite_id
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.outcomes import Outcome
from domain.values import Attendee, Component, EventDetails, Method
from tests.driver import Driver
from tests.fakes import (
    BOB,
    CAROL,
    DAVE,
    ORGANIZER,
    T0,
    UID,
    FakeParser,
    at,
    attendee,
    counter,
    deliver,
    new_service,
)

PROPERTY = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

INSTANCES = ("2025-03-17T10:00:00+00:00", "2025-03-24T10:00:00+00:00")
KEYS: tuple[str | None, ...] = (None, *INSTANCES)
STAMPS = (at(0), at(10), at(20))  # few instants, so equal DTSTAMPs happen often
SEQUENCES = st.integers(0, 3)
TIMES = (
    ("2025-03-10T10:00:00+00:00", "2025-03-10T11:00:00+00:00"),
    ("2025-03-10T14:00:00+00:00", "2025-03-10T15:00:00+00:00"),
)
ROSTERS = ((BOB, CAROL), (BOB, CAROL, DAVE))
PEOPLE = (BOB, CAROL, DAVE)

# -- organizer and attendee messages for one organizer and one UID ---------------------------


def version(
    summary: str, times: tuple[str, str], location: str | None, roster: tuple[str, ...]
) -> EventDetails:
    """Return one version of the meeting as an organizer's client writes it."""
    return EventDetails(
        summary=summary,
        start=times[0],
        end=times[1],
        location=location,
        attendees=tuple(attendee(a) for a in roster),
    )


def meeting() -> EventDetails:
    """Return the plainest version: the first time, in Room 1, with Bob and Carol."""
    return version("Weekly sync", TIMES[0], "Room 1", ROSTERS[0])


versions = st.builds(
    version,
    summary=st.sampled_from(("Weekly sync", "Weekly sync (moved)")),
    times=st.sampled_from(TIMES),
    location=st.sampled_from(("Room 1", "Room 2", None)),
    roster=st.sampled_from(ROSTERS),
)


def organizer_says(method: Method, *components: Component) -> ItipMessage:
    return ItipMessage(
        method=method,
        uid=UID,
        components=components,
        organizer=ORGANIZER,
        organizer_name="Alice",
        sender=ORGANIZER,
    )


@st.composite
def requests(draw: st.DrawFn, keys: tuple[str | None, ...] = KEYS) -> ItipMessage:
    """A REQUEST for the master and/or instances, each with its own SEQUENCE and DTSTAMP."""
    keys = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique=True).map(tuple))
    components = []
    for key in keys:
        details = draw(versions)
        if key is None:
            details = replace(details, rrule="FREQ=WEEKLY")
        components.append(
            Component(
                sequence=draw(SEQUENCES),
                dtstamp=draw(st.sampled_from(STAMPS)),
                recurrence_id=key,
                details=details,
            )
        )
    return organizer_says(Method.REQUEST, *components)


@st.composite
def cancels(draw: st.DrawFn, known: list[EventDetails]) -> ItipMessage:
    """A CANCEL of the event or one instance carrying the full details of some version.

    Real clients copy the whole VEVENT into a cancellation; which version they copy (and of
    which instance) is left to chance.
    """
    shown = draw(st.sampled_from(known)) if known else draw(versions)
    return organizer_says(
        Method.CANCEL,
        Component(
            sequence=draw(SEQUENCES),
            dtstamp=draw(st.sampled_from(STAMPS)),
            recurrence_id=draw(st.sampled_from(KEYS)),
            details=replace(shown, status="CANCELLED"),
        ),
    )


def replies_from(
    who: str,
    partstat: str,
    sequence: int = 0,
    dtstamp: datetime = STAMPS[0],
    recurrence_id: str | None = None,
) -> ItipMessage:
    """Return ``who``'s REPLY to the event or one instance, to some SEQUENCE."""
    return ItipMessage(
        method=Method.REPLY,
        uid=UID,
        components=(
            Component(
                sequence=sequence,
                dtstamp=dtstamp,
                recurrence_id=recurrence_id,
                details=EventDetails(attendees=(Attendee(address=who, partstat=partstat),)),
            ),
        ),
        organizer=ORGANIZER,
        sender=who,
    )


replies = st.builds(
    replies_from,
    who=st.sampled_from(PEOPLE),
    partstat=st.sampled_from(("ACCEPTED", "DECLINED")),
    sequence=SEQUENCES,
    dtstamp=st.sampled_from(STAMPS),
    recurrence_id=st.sampled_from(KEYS),
)


@st.composite
def message_sets(draw: st.DrawFn, max_replies: int = 5) -> list[ItipMessage]:
    """Requests, cancellations carrying details of those requests, and replies.

    Some invites only ever hear of single instances (as an attendee added to one occurrence
    does), so the master is left out of every request now and then.
    """
    keys = draw(st.sampled_from((KEYS, KEYS, INSTANCES)))
    asked = draw(st.lists(requests(keys), min_size=1, max_size=5))
    known = [c.details for m in asked for c in m.components]
    cancelled = draw(st.lists(cancels(known), max_size=3))
    answered = draw(st.lists(replies, max_size=max_replies))
    return asked + cancelled + answered


@st.composite
def redeliveries(draw: st.DrawFn, count: int) -> list[tuple[int, bool]]:
    """A shuffled delivery of ``count`` messages with some delivered again.

    Each entry is (message index, same bytes): a repeat either resends the exact bytes or
    the same message in a different email.
    """
    deliveries = [(i, True) for i in draw(st.permutations(range(count)))]
    for again in draw(st.lists(st.integers(0, count - 1), max_size=4)):
        position = draw(st.integers(0, len(deliveries)))
        deliveries.insert(position, (again, draw(st.booleans())))
    return deliveries


def converged_state(service: Driver) -> dict[str, Any]:
    """Everything that must be a function of the set of messages, not of their order.

    ``update_count`` counts accepted update messages and ``last_changed`` is the DTSTAMP of
    the last one accepted: both legitimately depend on the order, so they are left out.
    """
    the_id = invite_id(ORGANIZER, UID)
    invite = service.load(Invite, the_id)
    answers = {
        who: stream.replies if stream else None
        for who in PEOPLE
        for stream in [service.load(Attendance, attendance_id(the_id, who))]
    }
    if invite is None:
        with pytest.raises(InviteNotFoundError):
            service.show(UID)
        return {"invite": None, "replies": answers}
    view = service.show(UID).as_dict()
    del view["update_count"], view["last_changed"]
    organizer = service.registry.find(ORGANIZER)
    return {
        "occurrences": invite.occurrences,
        "view": view,
        "replies": answers,
        "invites counted": organizer.invite_count if organizer else None,
    }


@PROPERTY
@given(data=st.data())
def test_any_delivery_order_with_redeliveries_converges(data: st.DataObject) -> None:
    messages = data.draw(message_sets(), label="messages")
    deliveries = data.draw(redeliveries(len(messages)), label="deliveries")
    parser = FakeParser()
    raws = [parser.register(m) for m in messages]
    in_order = new_service(parser=parser)
    shuffled = new_service(parser=parser)

    for number, raw in enumerate(raws):
        in_order.ingest(raw, now=at(100 + number))
    for number, (index, same_bytes) in enumerate(deliveries):
        raw = raws[index] if same_bytes else parser.register(messages[index])
        outcome = shuffled.ingest(raw, now=at(100 + number)).outcome
        assert outcome is not Outcome.REJECTED

    assert converged_state(shuffled) == converged_state(in_order)


def test_cancel_of_a_version_without_location_converges() -> None:
    """The smallest order-dependence the property above finds, as a plain example.

    The organizer removes the room, then cancels; when the cancellation overtakes the update,
    the cancelled event still shows the removed room.
    """
    room = version("Weekly sync", TIMES[0], "Room 1", ROSTERS[0])
    no_room = version("Weekly sync", TIMES[0], None, ROSTERS[0])
    first = organizer_says(Method.REQUEST, Component(0, STAMPS[0], details=room))
    moved = organizer_says(Method.REQUEST, Component(1, STAMPS[1], details=no_room))
    called_off = organizer_says(
        Method.CANCEL, Component(1, STAMPS[2], details=replace(no_room, status="CANCELLED"))
    )
    in_order, late_update = new_service(), new_service()

    for message in (first, moved, called_off):
        deliver(in_order, message)
    for message in (first, called_off, moved):
        deliver(late_update, message)

    assert late_update.show(UID).location == in_order.show(UID).location


def test_answers_shown_do_not_depend_on_which_instance_arrived_first() -> None:
    everyone = (attendee(BOB), attendee(CAROL), attendee(DAVE))
    second = organizer_says(
        Method.REQUEST,
        Component(0, STAMPS[0], INSTANCES[0], details=replace(meeting(), attendees=everyone)),
    )
    fourth = organizer_says(
        Method.REQUEST, Component(0, STAMPS[0], INSTANCES[1], details=meeting())
    )
    dave_accepts = replies_from(DAVE, "ACCEPTED")
    one_way, other_way = new_service(), new_service()

    for message in (second, fourth, dave_accepts):
        deliver(one_way, message)
    for message in (fourth, second, dave_accepts):
        deliver(other_way, message)

    assert other_way.show(UID).attendees == one_way.show(UID).attendees
    assert [a.partstat for a in one_way.show(UID).attendees if a.address == DAVE] == ["ACCEPTED"]


def test_counter_delivered_again_in_another_email_counts_once() -> None:
    """Idempotence: the same COUNTER (same attendee, DTSTAMP, proposal) is one proposal."""
    service = new_service()
    deliver(
        service,
        organizer_says(Method.REQUEST, Component(0, STAMPS[0], details=meeting())),
    )
    proposal = counter(BOB, dtstamp=STAMPS[1])

    first = deliver(service, proposal)
    again = deliver(service, proposal)

    assert first.outcome is Outcome.COUNTER
    assert again.outcome is Outcome.DUPLICATE
    assert service.show(UID).counter_count == 1


def test_organizer_name_does_not_depend_on_which_message_came_first() -> None:
    # As the parser does, the ORGANIZER's CN travels in each VEVENT's details and the message.
    named = replace(meeting(), organizer_name="Alice")
    renamed_details = replace(meeting(), organizer_name="Alice Smith")
    first = organizer_says(Method.REQUEST, Component(0, STAMPS[0], details=named))
    renamed = replace(
        organizer_says(Method.REQUEST, Component(1, STAMPS[1], details=renamed_details)),
        organizer_name="Alice Smith",
    )
    in_order, reversed_order = new_service(), new_service()

    for message in (first, renamed):
        deliver(in_order, message)
    for message in (renamed, first):
        deliver(reversed_order, message)

    assert reversed_order.show(UID).organizer_name == in_order.show(UID).organizer_name
    assert in_order.show(UID).organizer_name == "Alice Smith"


# -- replaying events rebuilds exactly what was decided --------------------------------------


def replayed(events: Any) -> Any:
    """Return the aggregate rebuilt from every event, ignoring any snapshot."""
    return functools.reduce(lambda aggregate, event: event.mutate(aggregate), events, None)


@settings(PROPERTY, max_examples=200)
@given(messages=message_sets(max_replies=0))
def test_replaying_an_invites_events_rebuilds_the_live_invite(messages: list[ItipMessage]) -> None:
    invite = Invite(organizer=ORGANIZER, organizer_name="Alice", uid=UID, timestamp=T0)
    events: list[CanMutateAggregate[UUID]] = []
    for number, message in enumerate(messages):
        invite.receive(message, at(100 + number))
        events += invite.collect_events()
    invite.propose_counter(BOB, INSTANCES[0], messages[0].components[0].details, "?", None, at(99))
    events += invite.collect_events()

    rebuilt = replayed(events)

    assert rebuilt.__dict__ == invite.__dict__


def ramp(length: int) -> list[ItipMessage]:
    """Return ``length`` updates, each newer than anything the generated messages hold."""
    return [
        organizer_says(
            Method.REQUEST,
            Component(
                sequence=4 + step,
                dtstamp=at(30 + step),
                recurrence_id=INSTANCES[0] if step % 7 == 3 else None,
                details=version(f"Weekly sync #{step}", TIMES[step % 2], None, ROSTERS[step % 2]),
            ),
        )
        for step in range(length)
    ]


@settings(PROPERTY, max_examples=12)
@given(messages=message_sets(), length=st.integers(50, 65))
def test_loading_from_sqlite_with_snapshots_equals_replaying_every_event(
    tmp_path_factory: pytest.TempPathFactory, messages: list[ItipMessage], length: int
) -> None:
    folder = tmp_path_factory.mktemp("events")
    service = new_service(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(folder / "db.sqlite3")}
    )
    for number, message in enumerate([*messages, *ramp(length)]):
        deliver(service, message, now=at(100 + number))

    stored = {n.originator_id for n in service.recorder.select_notifications(start=1, limit=10_000)}
    for aggregate_id in stored:
        the_id = aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id))
        loaded: Aggregate = service.repository.get(the_id)
        assert loaded.__dict__ == replayed(service.events.get(the_id)).__dict__
    invite: Invite = service.repository.get(invite_id(ORGANIZER, UID))
    assert invite.version >= 50
    assert service.snapshots is not None
    assert list(service.snapshots.get(invite.id))


# -- nothing a parser can hand over makes ingest raise ---------------------------------------

ADDRESSES = st.sampled_from(
    (ORGANIZER, BOB, CAROL, "", "MAILTO:Alice@Example.com", "<x@y>", "no-at-sign")
) | st.text(max_size=8)
TEXT = st.none() | st.text(max_size=12)

any_attendees = st.builds(
    Attendee,
    address=ADDRESSES,
    name=TEXT,
    partstat=st.sampled_from(("ACCEPTED", "DECLINED", "DELEGATED", "NEEDS-ACTION")) | st.text(),
    role=TEXT,
    rsvp=st.booleans(),
    delegated_to=st.lists(ADDRESSES, max_size=2).map(tuple),
    delegated_from=st.lists(ADDRESSES, max_size=2).map(tuple),
    sent_by=st.none() | ADDRESSES,
)

any_details = st.just(EventDetails()) | st.builds(
    EventDetails,
    summary=TEXT,
    description=TEXT,
    location=TEXT,
    start=TEXT,
    end=TEXT,
    timezone=TEXT,
    all_day=st.booleans(),
    rrule=TEXT,
    rdates=st.lists(st.text(max_size=8), max_size=2).map(tuple),
    exdates=st.lists(st.text(max_size=8), max_size=2).map(tuple),
    status=TEXT,
    attendees=st.lists(any_attendees, max_size=3).map(tuple),
)

# The parser hands over aware UTC DTSTAMPs (or none) and SEQUENCE >= 0 of any size.
any_dtstamps = st.none() | st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
any_sequences = st.integers(0, 3) | st.integers(0, 2**200)


@st.composite
def any_messages(draw: st.DrawFn) -> ItipMessage:
    """Any ItipMessage the parser port may return: at least one VEVENT, one per RECURRENCE-ID."""
    keys = draw(st.lists(st.none() | st.text(max_size=8), min_size=1, max_size=3, unique=True))
    components = tuple(
        Component(
            sequence=draw(any_sequences),
            dtstamp=draw(any_dtstamps),
            recurrence_id=key,
            this_and_future=draw(st.booleans()),
            details=draw(any_details),
        )
        for key in keys
    )
    return ItipMessage(
        method=draw(st.sampled_from(Method)),
        uid=draw(st.sampled_from((UID, "other")) | st.text(max_size=8)),
        components=components,
        organizer=draw(st.none() | ADDRESSES),
        organizer_name=draw(TEXT),
        sent_by=draw(st.none() | ADDRESSES),
        sender=draw(st.none() | ADDRESSES),
        prodid=draw(TEXT),
        comment=draw(TEXT),
    )


ENVELOPES = st.none() | st.sampled_from(("create@x.example", "rsvp@x.example", "info@x", ""))


@settings(PROPERTY, max_examples=200)
@given(
    deliveries=st.lists(
        st.tuples(any_messages(), ENVELOPES, st.none() | ADDRESSES, st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_no_message_makes_ingest_raise(
    deliveries: list[tuple[ItipMessage, str | None, str | None, bool]],
) -> None:
    service = new_service()
    for number, (message, envelope_to, envelope_from, twice) in enumerate(deliveries):
        for _ in range(1 + twice):
            result = deliver(
                service,
                message,
                now=T0 + timedelta(seconds=number),
                envelope_to=envelope_to,
                envelope_from=envelope_from,
            )
            assert result.outcome in set(Outcome)
            assert result.outcome is not Outcome.REJECTED or result.reason

    for view in service.invites():
        assert view.as_dict()["invite"] == str(view.invite)
        assert service.history(str(view.invite))
