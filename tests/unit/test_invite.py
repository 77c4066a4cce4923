"""The Invite aggregate: given earlier messages, when one more arrives, then these events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.identity import invite_id
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.outcomes import Outcome, Verdict
from domain.values import MASTER, Method
from tests.fakes import (
    BOB,
    CAROL,
    DAVE,
    ORGANIZER,
    START,
    T0,
    UID,
    at,
    attendee,
    cancel,
    component,
    details,
    organizer_message,
    request,
)

NOW = datetime.fromisoformat("2025-03-02T12:00:00+00:00")
SECOND = "2025-03-17T10:00:00+00:00"
THIRD = "2025-03-24T10:00:00+00:00"


def given(*messages: ItipMessage) -> Invite:
    """Return an invite that has already received ``messages``, its events collected.

    Each arrives when it was stamped (or at :data:`T0`), as mail does: a DTSTAMP ahead of
    its arrival would be ordered as the arrival.
    """
    invite = Invite(organizer=ORGANIZER, organizer_name="Alice", uid=UID, timestamp=T0)
    for message in messages:
        invite.receive(message, max([T0, *(c.dtstamp for c in message.components if c.dtstamp)]))
    invite.collect_events()
    return invite


def when(invite: Invite, message: ItipMessage, now: datetime = NOW) -> tuple[Verdict, list[Any]]:
    """Apply one more message; return its verdict and the new events."""
    verdict = invite.receive(message, now)
    return verdict, list(invite.collect_events())


def kinds(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


# -- creation --------------------------------------------------------------------------------


def test_first_request_creates_and_schedules_the_invite() -> None:
    invite = Invite(organizer=ORGANIZER, organizer_name="Alice", uid=UID, timestamp=NOW)

    verdict, events = when(invite, request(summary="Kick-off"))

    assert verdict == Verdict(Outcome.UPDATED)
    assert kinds(events) == ["Created", "Scheduled"]
    created, scheduled = events
    assert (created.organizer, created.uid) == (ORGANIZER, UID)
    assert scheduled.details.summary == "Kick-off"
    assert scheduled.revision.sequence == 0
    assert invite.id == invite_id(ORGANIZER, UID)
    assert invite.update_count == 0
    assert not invite.is_cancelled


def test_invite_id_follows_the_normalized_organizer_and_the_uid() -> None:
    assert Invite.create_id(" <MAILTO:Alice@Example.COM> ", UID) == invite_id(ORGANIZER, UID)
    assert Invite.create_id("mallory@example.com", UID) != invite_id(ORGANIZER, UID)
    assert Invite.create_id(ORGANIZER, "other-uid") != invite_id(ORGANIZER, UID)


# -- updates ---------------------------------------------------------------------------------


def test_higher_sequence_with_a_new_time_updates_the_time() -> None:
    invite = given(request(sequence=0))

    verdict, events = when(
        invite,
        request(
            sequence=1,
            dtstamp=at(10),
            start="2025-03-10T14:00:00+00:00",
            end="2025-03-10T15:00:00+00:00",
        ),
    )

    assert verdict == Verdict(Outcome.UPDATED)
    assert kinds(events) == ["Updated"]
    assert events[0].changed_fields == ("time",)
    assert events[0].update_count == 1
    assert invite.master is not None
    assert invite.master.details.start == "2025-03-10T14:00:00+00:00"
    assert invite.sequence == 1


def test_higher_sequence_with_a_new_summary_updates_the_title() -> None:
    invite = given(request(sequence=0))

    _, events = when(invite, request(sequence=1, dtstamp=at(10), summary="Weekly sync (new)"))

    assert events[0].changed_fields == ("title",)


def test_update_names_every_changed_field_group() -> None:
    invite = given(request(sequence=0))

    _, events = when(
        invite,
        request(
            sequence=1,
            dtstamp=at(10),
            location="Room 2",
            description="Agenda attached",
            rrule="FREQ=WEEKLY",
            attendees=(attendee(BOB), attendee(CAROL), attendee(DAVE)),
        ),
    )

    assert events[0].changed_fields == ("attendees", "description", "location", "recurrence")


def test_partstats_echoed_by_the_organizer_are_not_an_attendee_change() -> None:
    invite = given(request(sequence=0))

    verdict, events = when(
        invite,
        request(sequence=0, dtstamp=at(10), attendees=(attendee(BOB, "ACCEPTED"), attendee(CAROL))),
    )

    assert verdict == Verdict(Outcome.UPDATED)
    assert events[0].changed_fields == ()


def test_update_count_counts_messages_not_components() -> None:
    invite = given(request(sequence=0, rrule="FREQ=WEEKLY"))
    one_message = organizer_message(
        Method.REQUEST,
        component(sequence=1, dtstamp=at(10), rrule="FREQ=WEEKLY", location="Room 2"),
        component(sequence=1, dtstamp=at(10), recurrence_id=SECOND, start=SECOND),
        component(sequence=1, dtstamp=at(10), recurrence_id=THIRD, summary="Cancelled talk"),
    )

    _, events = when(invite, one_message)
    _, next_events = when(invite, request(sequence=2, dtstamp=at(20), rrule="FREQ=DAILY"))

    assert kinds(events) == ["Updated", "InstanceOverridden", "InstanceOverridden"]
    assert [e.update_count for e in events] == [1, 1, 1]
    assert [e.update_count for e in next_events] == [2]
    assert invite.update_count == 2


def test_same_sequence_and_later_dtstamp_is_a_minor_update() -> None:
    # Thunderbird sends small edits (a new room) without raising SEQUENCE.
    invite = given(request(sequence=3, dtstamp=at(0)))

    verdict, events = when(invite, request(sequence=3, dtstamp=at(5), location="Room 7"))

    assert verdict == Verdict(Outcome.UPDATED)
    assert kinds(events) == ["Updated"]
    assert events[0].changed_fields == ("location",)


def test_same_sequence_and_older_dtstamp_is_stale() -> None:
    invite = given(request(sequence=1, dtstamp=at(10), location="Room 2"))

    verdict, events = when(invite, request(sequence=1, dtstamp=at(5), location="Room 1"))

    assert verdict.outcome is Outcome.STALE
    assert verdict.reason is not None
    assert "SEQUENCE 1" in verdict.reason
    assert events == []
    assert invite.master is not None
    assert invite.master.details.location == "Room 2"


def test_lower_sequence_is_stale_whatever_its_dtstamp() -> None:
    invite = given(request(sequence=2, dtstamp=at(0)))

    verdict, events = when(invite, request(sequence=1, dtstamp=at(90), summary="Old title"))

    assert verdict.outcome is Outcome.STALE
    assert events == []


def test_the_exact_same_message_again_is_a_duplicate_without_events() -> None:
    message = request(sequence=1, dtstamp=at(10))
    invite = given(request(sequence=0), message)

    verdict, events = when(invite, message)

    assert verdict.outcome is Outcome.DUPLICATE
    assert events == []
    assert invite.update_count == 1


def test_two_versions_claiming_the_same_sequence_and_dtstamp_pick_the_same_winner() -> None:
    first = request(sequence=1, dtstamp=at(10), summary="Version A")
    second = request(sequence=1, dtstamp=at(10), summary="Version B")

    one_way = given(request(), first, second)
    other_way = given(request(), second, first)

    assert one_way.occurrences == other_way.occurrences


# -- cancellation ----------------------------------------------------------------------------


def test_cancel_cancels_the_whole_event() -> None:
    invite = given(request(sequence=0))

    verdict, events = when(invite, cancel(sequence=1, dtstamp=at(10)))

    assert verdict == Verdict(Outcome.CANCELLED)
    assert kinds(events) == ["Cancelled"]
    assert events[0].revision.sequence == 1
    assert invite.is_cancelled
    assert invite.update_count == 0


def test_cancel_without_sequence_bump_still_cancels() -> None:
    invite = given(request(sequence=4, dtstamp=at(0)))

    verdict, events = when(invite, cancel(sequence=4, dtstamp=at(10)))

    assert verdict == Verdict(Outcome.CANCELLED)
    assert kinds(events) == ["Cancelled"]
    assert invite.is_cancelled


def test_cancel_with_the_same_sequence_and_dtstamp_as_the_request_still_cancels() -> None:
    invite = given(request(sequence=2, dtstamp=at(0)))

    verdict, _ = when(invite, cancel(sequence=2, dtstamp=at(0)))

    assert verdict.outcome is Outcome.CANCELLED
    assert invite.is_cancelled


def test_request_with_the_same_sequence_and_dtstamp_as_a_cancel_does_not_reinstate() -> None:
    invite = given(request(sequence=2, dtstamp=at(0)), cancel(sequence=2, dtstamp=at(0)))

    verdict, events = when(invite, request(sequence=2, dtstamp=at(0)))

    assert verdict.outcome is Outcome.STALE
    assert events == []
    assert invite.is_cancelled


def test_cancel_keeps_the_details_people_knew_where_it_is_silent() -> None:
    invite = given(request(sequence=0, summary="Board meeting", location="Room 1"))
    minimal = cancel(sequence=1, dtstamp=at(10), summary=None, start=None, end=None, attendees=())

    _, events = when(invite, minimal)

    shown = events[0].details
    assert (shown.summary, shown.location, shown.start) == ("Board meeting", "Room 1", START)
    assert shown.status == "CANCELLED"


def test_cancelling_one_instance_leaves_the_master_confirmed() -> None:
    invite = given(request(sequence=0, rrule="FREQ=WEEKLY"))

    verdict, events = when(
        invite, cancel(sequence=1, dtstamp=at(10), recurrence_id=SECOND, start=SECOND)
    )

    assert verdict == Verdict(Outcome.CANCELLED)
    assert kinds(events) == ["InstanceCancelled"]
    assert events[0].recurrence_id == SECOND
    assert not invite.is_cancelled
    assert invite.occurrences[SECOND].cancelled
    assert not invite.occurrences[MASTER].cancelled
    assert invite.sequence == 0


def test_cancel_of_an_unknown_event_leaves_a_tombstone_so_the_older_request_is_stale() -> None:
    invite = given(cancel(sequence=1, dtstamp=at(10)))
    assert invite.is_cancelled

    verdict, events = when(invite, request(sequence=0, dtstamp=at(0)))

    assert verdict.outcome is Outcome.STALE
    assert not {"Scheduled", "Updated"} & set(kinds(events))
    assert invite.is_cancelled
    assert invite.master is not None
    assert invite.master.revision.sequence == 1


def test_reinvite_after_cancel_with_a_higher_sequence_reinstates_the_event() -> None:
    invite = given(request(sequence=0), cancel(sequence=1, dtstamp=at(10)))

    verdict, events = when(invite, request(sequence=2, dtstamp=at(20)))

    assert verdict == Verdict(Outcome.UPDATED)
    assert kinds(events) == ["Updated"]
    assert "status" in events[0].changed_fields
    assert not invite.is_cancelled


def test_cancel_older_than_a_reinvite_is_stale() -> None:
    invite = given(request(sequence=0), request(sequence=2, dtstamp=at(20)))

    verdict, events = when(invite, cancel(sequence=1, dtstamp=at(10)))

    assert verdict.outcome is Outcome.STALE
    assert events == []
    assert not invite.is_cancelled


# -- recurrence overrides --------------------------------------------------------------------


def test_instance_override_keeps_its_own_sequence_order() -> None:
    invite = given(request(sequence=2, dtstamp=at(0), rrule="FREQ=WEEKLY"))

    # An override's SEQUENCE is compared only with earlier versions of that instance.
    verdict, events = when(
        invite, request(sequence=0, dtstamp=at(5), recurrence_id=SECOND, location="Room 9")
    )
    stale, no_events = when(
        invite, request(sequence=0, dtstamp=at(1), recurrence_id=SECOND, location="Room 3")
    )

    assert verdict == Verdict(Outcome.UPDATED)
    assert kinds(events) == ["InstanceOverridden"]
    assert events[0].recurrence_id == SECOND
    assert "location" in events[0].changed_fields
    assert stale.outcome is Outcome.STALE
    assert no_events == []
    assert invite.occurrences[SECOND].details.location == "Room 9"
    assert invite.master is not None
    assert invite.master.revision.sequence == 2


def test_master_update_does_not_replace_an_instance_override() -> None:
    invite = given(
        request(sequence=0, rrule="FREQ=WEEKLY"),
        request(sequence=1, dtstamp=at(5), recurrence_id=SECOND, location="Room 9"),
    )

    _, events = when(invite, request(sequence=3, dtstamp=at(10), rrule="FREQ=WEEKLY"))

    assert kinds(events) == ["Updated"]
    assert invite.occurrences[SECOND].details.location == "Room 9"


def test_older_master_after_a_newer_instance_is_stale_for_the_master_only() -> None:
    invite = given(request(sequence=5, dtstamp=at(10), rrule="FREQ=WEEKLY"))
    mixed = organizer_message(
        Method.REQUEST,
        component(sequence=4, dtstamp=at(1), rrule="FREQ=WEEKLY", summary="Old"),
        component(sequence=4, dtstamp=at(1), recurrence_id=SECOND, start=SECOND),
    )

    verdict, events = when(invite, mixed)

    assert verdict == Verdict(Outcome.UPDATED)
    assert kinds(events) == ["InstanceOverridden"]
    assert invite.master is not None
    assert invite.master.details.summary == "Weekly sync"


# -- attendee proposals ----------------------------------------------------------------------


def test_counter_proposal_is_recorded_without_changing_the_event() -> None:
    invite = given(request(sequence=0))
    before = dict(invite.occurrences)
    proposal = details(start="2025-03-10T15:00:00+00:00", end="2025-03-10T16:00:00+00:00")

    verdict = invite.propose_counter(
        attendee=BOB,
        recurrence_id=None,
        proposal=proposal,
        comment="Afternoon?",
        dtstamp=at(30),
        now=NOW,
    )
    events: list[Any] = list(invite.collect_events())  # @event classes: fields are dynamic

    assert verdict == Verdict(Outcome.COUNTER)
    assert kinds(events) == ["CounterProposed"]
    assert (events[0].attendee, events[0].proposal, events[0].comment) == (
        BOB,
        proposal,
        "Afternoon?",
    )
    assert invite.occurrences == before
    assert invite.counter_count == 1
    assert invite.update_count == 0


def test_refresh_request_is_recorded_without_changing_the_event() -> None:
    invite = given(request(sequence=0))
    before = dict(invite.occurrences)

    verdict = invite.request_refresh(attendee=CAROL, dtstamp=at(30), now=NOW)
    events: list[Any] = list(invite.collect_events())  # @event classes: fields are dynamic

    assert verdict.outcome is Outcome.COUNTER
    assert kinds(events) == ["RefreshRequested"]
    assert events[0].attendee == CAROL
    assert invite.occurrences == before


# -- time ------------------------------------------------------------------------------------


def test_events_are_stamped_with_the_time_they_were_decided_not_the_dtstamp() -> None:
    invite = Invite(organizer=ORGANIZER, organizer_name=None, uid=UID, timestamp=at(1))
    invite.receive(request(sequence=0, dtstamp=at(-600)), at(1))
    invite.receive(request(sequence=1, dtstamp=at(-500), rrule="FREQ=WEEKLY"), at(2))
    invite.receive(request(sequence=0, recurrence_id=SECOND, dtstamp=at(-400)), at(3))
    invite.receive(cancel(sequence=1, recurrence_id=SECOND, dtstamp=at(-300)), at(4))
    invite.receive(cancel(sequence=2, dtstamp=at(-200)), at(5))
    invite.propose_counter(BOB, None, details(), None, at(-100), now=at(6))
    invite.request_refresh(CAROL, at(-50), now=at(7))

    events = invite.collect_events()

    assert [(type(e).__name__, e.timestamp) for e in events] == [
        ("Created", at(1)),
        ("Scheduled", at(1)),
        ("Updated", at(2)),
        ("InstanceOverridden", at(3)),
        ("InstanceCancelled", at(4)),
        ("Cancelled", at(5)),
        ("CounterProposed", at(6)),
        ("RefreshRequested", at(7)),
    ]
    assert invite.created_on == at(1)
    assert invite.modified_on == at(7)
