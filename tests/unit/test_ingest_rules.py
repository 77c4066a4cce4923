"""Ingest rules: who may send what, where, and what each message ends as."""

from __future__ import annotations

import pytest

from application.errors import AmbiguousInviteError, InviteNotFoundError
from domain.identity import invite_id
from domain.messages import Unusable
from domain.outcomes import Outcome
from domain.values import Method
from tests.driver import Driver
from tests.fakes import (
    BOB,
    CAROL,
    DAVE,
    ORGANIZER,
    UID,
    FakeParser,
    at,
    attendee,
    component,
    counter,
    deliver,
    new_service,
    organizer_message,
    reply,
    request,
)

MALLORY = "mallory@example.com"


@pytest.fixture
def service() -> Driver:
    return new_service()


def partstats(service: Driver, ref: str = UID) -> dict[str, tuple[str, bool]]:
    return {a.address: (a.partstat, a.replied) for a in service.show(ref).attendees}


# -- who may act as organizer ----------------------------------------------------------------


def test_request_from_someone_other_than_the_organizer_is_rejected(
    service: Driver,
) -> None:
    result = deliver(service, request(sender=MALLORY))

    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert MALLORY in result.reason
    assert ORGANIZER in result.reason
    with pytest.raises(InviteNotFoundError):
        service.show(UID)


def test_cancel_from_someone_other_than_the_organizer_changes_nothing(
    service: Driver,
) -> None:
    deliver(service, request())

    result = deliver(service, organizer_message(Method.CANCEL, component(sequence=1), sender=BOB))

    assert result.outcome is Outcome.REJECTED
    assert service.show(UID).status == "confirmed"


def test_request_sent_by_the_organizers_delegate_is_accepted(service: Driver) -> None:
    assistant = "assistant@example.com"

    result = deliver(service, request(sender=assistant, sent_by=assistant))

    assert result.outcome is Outcome.CREATED
    assert service.show(UID).organizer == ORGANIZER


def test_event_without_organizer_is_organized_by_its_sender(service: Driver) -> None:
    result = deliver(service, request(organizer=None, sender=BOB))

    assert result.outcome is Outcome.CREATED
    assert result.invite == invite_id(BOB, UID)
    assert service.show(UID).organizer == BOB


def test_envelope_sender_stands_in_for_a_missing_from(service: Driver) -> None:
    result = deliver(
        service, request(organizer=None, sender=None), envelope_from="<Bob@Example.com>"
    )

    assert result.outcome is Outcome.CREATED
    assert service.show(UID).organizer == BOB


def test_event_without_organizer_or_sender_is_rejected(service: Driver) -> None:
    result = deliver(service, request(organizer=None, sender=None))

    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert "no sender" in result.reason


# -- the organizer registry ------------------------------------------------------------------


def test_suspended_organizer_is_rejected_until_allowed_again(service: Driver) -> None:
    service.registry.suspend(ORGANIZER, "spam complaints", now=at(0))

    refused = deliver(service, request())
    service.registry.allow(ORGANIZER, now=at(1))
    accepted = deliver(service, request())

    assert refused.outcome is Outcome.REJECTED
    assert refused.reason is not None
    assert "suspended" in refused.reason
    assert "spam complaints" in refused.reason
    assert accepted.outcome is Outcome.CREATED


def test_suspended_organizer_cannot_update_an_existing_invite(service: Driver) -> None:
    deliver(service, request())
    service.registry.suspend(ORGANIZER, None, now=at(1))

    result = deliver(service, request(sequence=1, dtstamp=at(10), summary="Changed"))

    assert result.outcome is Outcome.REJECTED
    assert service.show(UID).summary == "Weekly sync"


def test_limited_organizer_cannot_create_beyond_the_limit(service: Driver) -> None:
    service.registry.limit_events(ORGANIZER, 1, now=at(0))

    first = deliver(service, request(uid="first"))
    second = deliver(service, request(uid="second"))
    update = deliver(service, request(uid="first", sequence=1, dtstamp=at(10)))

    assert first.outcome is Outcome.CREATED
    assert second.outcome is Outcome.REJECTED
    assert second.reason is not None
    assert "limit" in second.reason
    assert update.outcome is Outcome.UPDATED


def test_closed_registry_rejects_unknown_organizers() -> None:
    service = new_service(open_registry=False)

    refused = deliver(service, request())
    service.registry.allow(ORGANIZER, now=at(1))
    accepted = deliver(service, request())

    assert refused.outcome is Outcome.REJECTED
    assert refused.reason is not None
    assert "not registered" in refused.reason
    assert accepted.outcome is Outcome.CREATED


def test_created_invites_are_counted_for_organizers_with_a_limit(service: Driver) -> None:
    service.registry.limit_events(ORGANIZER, 10, now=at(0))
    deliver(service, request(uid="first"))
    deliver(service, request(uid="first", sequence=1, dtstamp=at(5)))
    deliver(service, request(uid="second"))

    record = service.registry.find("MAILTO:" + ORGANIZER.upper())

    assert record is not None
    assert record.invite_count == 2


def test_an_unlimited_organizer_is_not_written_on_every_creation(service: Driver) -> None:
    # Without a limit there is nothing to count, so no key shared by all of their invites.
    deliver(service, request(uid="first"))
    deliver(service, request(uid="second"))

    assert service.registry.find(ORGANIZER) is None


# -- methods and mailboxes -------------------------------------------------------------------


def test_publish_is_rejected_with_a_hint(service: Driver) -> None:
    result = deliver(service, organizer_message(Method.PUBLISH, component()))

    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert "REQUEST" in result.reason


def test_reply_sent_to_the_create_mailbox_is_rejected_as_misrouted(
    service: Driver,
) -> None:
    deliver(service, request())

    result = deliver(service, reply(BOB), envelope_to="create@invites.example.com")

    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert "rsvp" in result.reason
    assert partstats(service)[BOB] == ("NEEDS-ACTION", False)


def test_request_sent_to_the_rsvp_mailbox_is_rejected_as_misrouted(
    service: Driver,
) -> None:
    result = deliver(service, request(), envelope_to="rsvp@invites.example.com")

    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert "create" in result.reason


def test_messages_in_their_own_mailbox_are_accepted_even_with_a_tag(
    service: Driver,
) -> None:
    created = deliver(service, request(), envelope_to="Create+team@invites.example.com")
    answered = deliver(service, reply(BOB), envelope_to="<rsvp@invites.example.com>")

    assert created.outcome is Outcome.CREATED
    assert answered.outcome is Outcome.RSVP


def test_unusable_message_is_rejected_with_the_parsers_reason(service: Driver) -> None:
    result = deliver(service, Unusable("no-calendar", "the email carries no calendar"))

    assert result.outcome is Outcome.REJECTED
    assert result.reason == "the email carries no calendar"


# -- replies ---------------------------------------------------------------------------------


def test_reply_is_recorded_and_shown_with_the_attendee(service: Driver) -> None:
    deliver(service, request())

    result = deliver(service, reply(BOB, "ACCEPTED"))

    assert result.outcome is Outcome.RSVP
    assert result.invite == invite_id(ORGANIZER, UID)
    assert partstats(service) == {BOB: ("ACCEPTED", True), CAROL: ("NEEDS-ACTION", False)}


def test_reply_before_the_request_is_kept_and_counts_once_the_invite_arrives(
    service: Driver,
) -> None:
    early = deliver(service, reply(CAROL, "DECLINED", dtstamp=at(30)))

    created = deliver(service, request(dtstamp=at(0)))

    assert early.outcome is Outcome.RSVP
    assert created.outcome is Outcome.CREATED
    assert partstats(service)[CAROL] == ("DECLINED", True)


def test_reply_to_an_older_sequence_stops_counting_after_an_update(
    service: Driver,
) -> None:
    deliver(service, request(sequence=0))
    deliver(service, reply(BOB, "ACCEPTED", sequence=0))

    deliver(service, request(sequence=1, dtstamp=at(50), start="2025-03-11T10:00:00+00:00"))

    assert partstats(service)[BOB] == ("NEEDS-ACTION", False)


def test_newer_reply_replaces_the_answer_and_older_is_stale(service: Driver) -> None:
    deliver(service, request())
    deliver(service, reply(BOB, "ACCEPTED", dtstamp=at(20)))

    newer = deliver(service, reply(BOB, "DECLINED", dtstamp=at(40)))
    older = deliver(service, reply(BOB, "TENTATIVE", dtstamp=at(30)))

    assert newer.outcome is Outcome.RSVP
    assert older.outcome is Outcome.STALE
    assert partstats(service)[BOB] == ("DECLINED", True)


def test_reply_naming_several_attendees_none_of_them_the_sender_is_rejected(
    service: Driver,
) -> None:
    deliver(service, request())

    result = deliver(service, reply(BOB, also=(attendee(CAROL, "ACCEPTED"),), sender=DAVE))

    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert all(who in result.reason for who in (BOB, CAROL, DAVE))
    assert partstats(service)[BOB] == ("NEEDS-ACTION", False)


def test_delegating_reply_records_both_sides(service: Driver) -> None:
    deliver(service, request())
    delegate = attendee(DAVE, "NEEDS-ACTION")
    message = reply(BOB, "DELEGATED", delegated_to=(DAVE,), also=(delegate,))

    result = deliver(service, message)

    assert result.outcome is Outcome.RSVP
    assert partstats(service)[BOB] == ("DELEGATED", True)


def test_reply_without_organizer_finds_the_only_invite_with_its_uid(
    service: Driver,
) -> None:
    deliver(service, request())

    result = deliver(service, reply(CAROL, "TENTATIVE", organizer=None))

    assert result.outcome is Outcome.RSVP
    assert partstats(service)[CAROL] == ("TENTATIVE", True)


def test_reply_without_organizer_for_an_unknown_uid_is_rejected(service: Driver) -> None:
    result = deliver(service, reply(CAROL, organizer=None))

    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert UID in result.reason


# -- counter proposals -----------------------------------------------------------------------


def test_counter_for_an_unknown_invite_is_rejected(service: Driver) -> None:
    result = deliver(service, counter(BOB))

    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert UID in result.reason


def test_counter_for_a_known_invite_is_recorded_without_moving_the_event(
    service: Driver,
) -> None:
    deliver(service, request())

    result = deliver(service, counter(BOB, start="2025-03-10T15:00:00+00:00"))

    view = service.show(UID)
    assert result.outcome is Outcome.COUNTER
    assert view.counter_count == 1
    assert view.start == "2025-03-10T10:00:00+00:00"
    assert view.sequence == 0
    assert [e.type for e in service.history(UID)][-1] == "CounterProposed"


# -- idempotence and identity ----------------------------------------------------------------


def test_the_same_raw_message_twice_is_a_duplicate_naming_the_first_outcome() -> None:
    parser = FakeParser()
    service = new_service(parser=parser)
    raw = parser.register(request())

    first = service.ingest(raw, now=at(0))
    again = service.ingest(raw, now=at(5))

    assert first.outcome is Outcome.CREATED
    assert again.outcome is Outcome.DUPLICATE
    assert again.reason is not None
    assert "created" in again.reason
    assert again.invite == first.invite
    assert [e.type for e in service.history(UID)] == ["Created", "Scheduled", "SenderNoted"]


def test_the_same_message_in_a_different_email_is_a_duplicate(service: Driver) -> None:
    deliver(service, request())

    again = deliver(service, request())

    assert again.outcome is Outcome.DUPLICATE
    assert service.show(UID).update_count == 0


def test_two_organizers_with_the_same_uid_never_collide(service: Driver) -> None:
    mine = deliver(service, request(summary="Alice's meeting"))
    theirs = deliver(service, request(organizer=BOB, sender=BOB, summary="Bob's meeting"))
    deliver(
        service, organizer_message(Method.CANCEL, component(sequence=1), organizer=BOB, sender=BOB)
    )

    assert mine.invite != theirs.invite
    assert mine.invite is not None
    assert theirs.invite is not None
    assert service.show(str(mine.invite)).summary == "Alice's meeting"
    assert service.show(str(mine.invite)).status == "confirmed"
    assert service.show(str(theirs.invite)).status == "cancelled"
    with pytest.raises(AmbiguousInviteError):
        service.show(UID)
    assert {v.organizer for v in service.invites()} == {ORGANIZER, BOB}
