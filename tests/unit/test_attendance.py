"""The Attendance aggregate: one attendee's replies to one invite, newest per instance winning."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.attendance import Attendance, Reply
from domain.identity import attendance_id, invite_id
from domain.outcomes import Outcome
from tests.fakes import BOB, CAROL, DAVE, ORGANIZER, T0, UID, at

INVITE = invite_id(ORGANIZER, UID)
NOW = datetime.fromisoformat("2025-03-02T12:00:00+00:00")
SECOND = "2025-03-17T10:00:00+00:00"


def given(*replies: Reply) -> Attendance:
    """Return Bob's attendance that has already recorded ``replies``, events collected."""
    attendance = Attendance(invite=INVITE, address=BOB, timestamp=T0)
    for earlier in replies:
        # Each arrives when it was stamped: a DTSTAMP from the future is no ordering claim.
        attendance.record_reply(earlier, max(T0, earlier.dtstamp or T0))
    attendance.collect_events()
    return attendance


def when(attendance: Attendance, reply: Reply, now: datetime = NOW) -> tuple[Outcome, list[Any]]:
    """Record one more reply; return its outcome and the new events."""
    outcome = attendance.record_reply(reply, now)
    return outcome, list(attendance.collect_events())


def test_attendance_id_is_one_stream_per_invite_and_attendee() -> None:
    assert Attendance.create_id(INVITE, "MAILTO:Bob@Example.com") == attendance_id(INVITE, BOB)
    assert attendance_id(INVITE, BOB) != attendance_id(INVITE, CAROL)
    assert attendance_id(INVITE, BOB) != attendance_id(invite_id(ORGANIZER, "other"), BOB)


def test_first_reply_is_recorded_at_the_time_it_was_decided() -> None:
    attendance = given()

    outcome, events = when(attendance, Reply("ACCEPTED", dtstamp=at(10), sequence=0))

    assert outcome is Outcome.RSVP
    assert [type(e).__name__ for e in events] == ["ReplyRecorded"]
    assert events[0].reply == Reply("ACCEPTED", dtstamp=at(10), sequence=0)
    assert events[0].timestamp == NOW
    assert attendance.partstat(0) == "ACCEPTED"


def test_newest_reply_by_its_own_dtstamp_wins() -> None:
    attendance = given(Reply("ACCEPTED", dtstamp=at(10), sequence=0))

    outcome, events = when(attendance, Reply("DECLINED", dtstamp=at(20), sequence=0))

    assert outcome is Outcome.RSVP
    assert len(events) == 1
    assert attendance.partstat(0) == "DECLINED"


def test_reply_older_than_the_recorded_one_is_stale() -> None:
    attendance = given(Reply("DECLINED", dtstamp=at(20), sequence=0))

    outcome, events = when(attendance, Reply("ACCEPTED", dtstamp=at(10), sequence=0))

    assert outcome is Outcome.STALE
    assert events == []
    assert attendance.partstat(0) == "DECLINED"


def test_reply_without_dtstamp_loses_to_any_dated_reply() -> None:
    attendance = given(Reply("DECLINED", dtstamp=at(20)))

    outcome, _ = when(attendance, Reply("ACCEPTED", dtstamp=None))

    assert outcome is Outcome.STALE
    assert attendance.partstat(0) == "DECLINED"


def test_the_same_reply_again_is_a_duplicate() -> None:
    answer = Reply("TENTATIVE", dtstamp=at(10), sequence=1, comment="Maybe")
    attendance = given(answer)

    outcome, events = when(attendance, answer)

    assert outcome is Outcome.DUPLICATE
    assert events == []


def test_two_different_replies_with_the_same_dtstamp_pick_the_same_winner() -> None:
    yes = Reply("ACCEPTED", dtstamp=at(10), sequence=0)
    no = Reply("DECLINED", dtstamp=at(10), sequence=0)

    one_way = given(yes, no)
    other_way = given(no, yes)

    assert one_way.replies == other_way.replies
    assert one_way.partstat(0) in {"ACCEPTED", "DECLINED"}


def test_replies_to_different_instances_are_independent() -> None:
    attendance = given(Reply("ACCEPTED", dtstamp=at(30), sequence=0))

    outcome, _ = when(
        attendance, Reply("DECLINED", dtstamp=at(10), sequence=0, recurrence_id=SECOND)
    )

    assert outcome is Outcome.RSVP
    assert attendance.partstat(0) == "ACCEPTED"
    assert attendance.partstat(0, SECOND) == "DECLINED"
    assert attendance.partstat(0, "2025-03-24T10:00:00+00:00") is None


def test_reply_to_an_older_sequence_no_longer_counts_after_an_update() -> None:
    attendance = given(Reply("ACCEPTED", dtstamp=at(10), sequence=0))

    assert attendance.partstat(0) == "ACCEPTED"
    assert attendance.partstat(1) is None
    assert attendance.replies[""].partstat == "ACCEPTED"  # kept in history all the same


def test_reply_to_the_current_sequence_counts_again() -> None:
    attendance = given(Reply("ACCEPTED", dtstamp=at(10), sequence=0))

    when(attendance, Reply("DECLINED", dtstamp=at(40), sequence=1))

    assert attendance.partstat(1) == "DECLINED"
    assert attendance.partstat(2) is None


def test_reply_without_sequence_answers_whatever_version_it_reached() -> None:
    attendance = given(Reply("ACCEPTED", dtstamp=at(10), sequence=None))

    assert attendance.partstat(7) == "ACCEPTED"


def test_delegation_is_kept_with_the_reply() -> None:
    attendance = given()

    when(
        attendance,
        Reply("DELEGATED", dtstamp=at(10), sequence=0, delegated_to=(DAVE,), name="Bob"),
    )

    kept = attendance.replies[""]
    assert kept.partstat == "DELEGATED"
    assert kept.delegated_to == (DAVE,)
    assert kept.name == "Bob"


def test_reply_round_trips_through_its_stored_form() -> None:
    answer = Reply(
        "DELEGATED",
        dtstamp=at(10),
        sequence=2,
        recurrence_id=SECOND,
        delegated_to=(DAVE,),
        delegated_from=(CAROL,),
        comment="Dave will go",
    )

    assert Reply.from_dict(answer.as_dict()) == answer
    assert Reply.from_dict(answer.as_dict()).digest() == answer.digest()


def test_a_dtstamp_from_the_future_cannot_lock_an_answer() -> None:
    # A forger stamps 2099 to outrank everything; it is ordered as its arrival instead.
    attendance = Attendance(invite=INVITE, address=BOB, timestamp=T0)
    far = datetime.fromisoformat("2099-01-01T00:00:00+00:00")
    attendance.record_reply(Reply("DECLINED", dtstamp=far, sequence=0), now=NOW)

    outcome, _ = when(attendance, Reply("ACCEPTED", dtstamp=at(5000), sequence=0), at(5000))

    assert outcome is Outcome.RSVP
    assert attendance.partstat(0) == "ACCEPTED"


def test_a_dtstamp_within_the_clock_skew_is_kept() -> None:
    attendance = Attendance(invite=INVITE, address=BOB, timestamp=T0)
    ahead = Reply("DECLINED", dtstamp=at(3), sequence=0)
    attendance.record_reply(ahead, now=T0)

    [kept] = attendance.replies.values()
    assert kept.dtstamp == at(3)


def test_across_channels_the_later_answer_wins_whatever_the_sequences() -> None:
    # The server's copy is at its own SEQUENCE 3; the organizer's invite is still at 0.
    attendance = Attendance(invite=INVITE, address=BOB, timestamp=T0)
    attendance.record_reply(Reply("DECLINED", dtstamp=at(10), sequence=3, channel="server"), at(10))

    outcome, _ = when(attendance, Reply("ACCEPTED", dtstamp=at(20), sequence=0), at(20))

    assert outcome is Outcome.RSVP
    [kept] = attendance.replies.values()
    assert kept.partstat == "ACCEPTED"
