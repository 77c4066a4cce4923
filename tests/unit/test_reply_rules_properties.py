"""Which replies count (RFC 5546 sections 2.1.4 and 2.1.5), and what a wrong clock can do.

- Cancelling single instances resets no answer to the series, for replies to the organizer's
  own invite and for replies to the server's copies, in the aggregates and in the views.
- Replies are ordered by SEQUENCE before DTSTAMP.
- A DTSTAMP ahead of its arrival (beyond CLOCK_SKEW) is ordered as the arrival, for organizer
  messages as for replies: it locks nothing against the organizer's or the attendee's later
  messages, and the recorded version still says what the DTSTAMP was.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from eventsourcing.domain import DomainEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from adapters.mail.outbox import OutboxFolderMailer
from adapters.readmodels.memory import MemoryReadModel
from application.projections.keys import DISTRIBUTION, InviteItems
from application.projections.projector import Projector
from application.projections.queries import Reports
from application.projections.runner import ProjectionRunner
from application.projections.session import Session
from application.send_types import Recipient
from domain.attendance import Attendance, Reply
from domain.distribution import Distribution
from domain.identity import invite_id
from domain.invite import Invite
from domain.outcomes import Outcome
from domain.revision import CLOCK_SKEW, Revision
from domain.values import MASTER, Component, Method
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.fakes import BOB, ORGANIZER, T0, UID, at, component, organizer_message, request
from tests.replies import answer, invitation_calendar

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INVITE = invite_id(ORGANIZER, UID)
INSTANCES = tuple(f"2025-03-{day}T10:00:00+00:00" for day in (17, 24, 31))
SEQUENCES = st.integers(0, 5)
MINUTES = st.integers(0, 600)
# How far ahead of its arrival a wrong clock may stamp a message: past the skew, up to a year.
AHEAD = st.timedeltas(min_value=CLOCK_SKEW + timedelta(seconds=1), max_value=timedelta(days=366))


def arriving(invite: Invite, method: Method, comp: Component, now: datetime) -> Outcome:
    """Deliver one organizer message with one component at ``now``; return its outcome."""
    return invite.receive(organizer_message(method, comp), now).outcome


def new_invite() -> Invite:
    return Invite(organizer=ORGANIZER, organizer_name="Alice", uid=UID, timestamp=T0)


def stream(*replies: tuple[Reply, datetime]) -> Attendance:
    attendance = Attendance(invite=INVITE, address=BOB, timestamp=T0)
    for reply, now in replies:
        attendance.record_reply(reply, now)
    return attendance


# -- instance cancellations ------------------------------------------------------------------


@PROPERTY
@given(
    series=SEQUENCES,
    with_master=st.booleans(),
    cancels=st.lists(
        st.tuples(st.sampled_from(INSTANCES), st.integers(1, 4), MINUTES), min_size=1, max_size=4
    ),
)
def test_instance_cancels_do_not_reset_answers_to_the_organizers_invite(
    series: int, with_master: bool, cancels: list[tuple[str, int, int]]
) -> None:
    invite = new_invite()
    first = None if with_master else INSTANCES[0]
    arriving(invite, Method.REQUEST, component(sequence=series, recurrence_id=first), T0)
    for instance, raised, minutes in cancels:
        cancelled = component(sequence=series + raised, dtstamp=at(minutes), recurrence_id=instance)
        arriving(invite, Method.CANCEL, cancelled, at(minutes))

    # The attendee answers the newest REQUEST they hold, after every cancellation.
    answered = stream((Reply("ACCEPTED", dtstamp=at(700), sequence=series), at(700)))

    assert invite.sequence == series
    assert answered.partstat(invite.sequence) == "ACCEPTED"


@PROPERTY
@given(
    significant=st.lists(st.booleans(), max_size=3),
    cancelled=st.lists(st.sampled_from(INSTANCES), min_size=1, max_size=3, unique=True),
)
def test_instance_cancels_do_not_reset_answers_to_the_servers_copies(
    significant: list[bool], cancelled: list[str]
) -> None:
    """The server's SEQUENCE rises with each instance it cancels; significant_from does not,
    and the read model (the statistics' threshold) follows the same rule as the aggregate."""
    distribution = Distribution(invite=INVITE, timestamp=T0)
    distribution.publish("REQUEST", "w0", "s0", T0, rest_fingerprint="r0", cancelled_instances=[])
    prints = 0
    for step, changed in enumerate(significant, start=1):
        prints += changed
        distribution.publish(
            "REQUEST", f"w{step}", f"s{prints}", at(step), rest_fingerprint=f"r{step}"
        )
    held = distribution.sequence
    since = distribution.significant_from
    rest = distribution.rest_fingerprint
    for number in range(1, len(cancelled) + 1):
        distribution.publish(
            "REQUEST",
            f"cancelled {number}",
            f"significant with {number} cancelled",
            at(100 + number),
            rest_fingerprint=rest,
            cancelled_instances=cancelled[:number],
        )
    assert distribution.sequence == held + len(cancelled)
    assert distribution.significant_from == since

    answered = stream(
        (Reply("ACCEPTED", dtstamp=at(700), sequence=held, channel="server"), at(700))
    )
    assert answered.partstat(0, server_sequence=distribution.significant_from) == "ACCEPTED"

    store, projector = MemoryReadModel(), Projector()
    for event in distribution.collect_events():
        assert isinstance(event, DomainEvent)
        session = Session(store)
        projector.project(session, event)
        session.commit()
    view = store.get(InviteItems(str(INVITE)), DISTRIBUTION)
    assert view is not None
    assert view.data["significant_from"] == distribution.significant_from


def test_a_version_that_cancels_several_instances_at_once_is_not_significant() -> None:
    distribution = Distribution(invite=INVITE, timestamp=T0)
    distribution.publish("REQUEST", "w0", "s0", T0, rest_fingerprint="r0", cancelled_instances=[])
    distribution.publish(
        "REQUEST", "w1", "s1", at(1), rest_fingerprint="r0", cancelled_instances=[*INSTANCES[:2]]
    )
    assert (distribution.sequence, distribution.significant_from) == (1, 0)
    assert distribution.cancelled_instance is None  # holders get the whole version


def test_a_version_recorded_significant_that_only_cancelled_one_instance_reads_as_not() -> None:
    """Versions published before the rule have significant=True with cancelled_instance."""
    distribution = Distribution(invite=INVITE, timestamp=T0)
    distribution.publish("REQUEST", "w0", "s0", T0, rest_fingerprint="r0", cancelled_instances=[])
    distribution._publish(
        sequence=1,
        method="REQUEST",
        fingerprint="w1",
        significant=True,
        significant_fingerprint="s1",
        rest_fingerprint="r0",
        cancelled_instances=[INSTANCES[0]],
        cancelled_instance=INSTANCES[0],
        timestamp=at(1),
    )
    assert distribution.significant_from == 0


def test_a_version_that_cancels_an_instance_and_changes_more_is_significant() -> None:
    distribution = Distribution(invite=INVITE, timestamp=T0)
    distribution.publish("REQUEST", "w0", "s0", T0, rest_fingerprint="r0", cancelled_instances=[])
    distribution.publish(
        "REQUEST", "w1", "s1", at(1), rest_fingerprint="r1", cancelled_instances=[INSTANCES[0]]
    )
    assert distribution.significant_from == 1


# -- ordering replies --------------------------------------------------------------------------


@PROPERTY
@given(
    low=SEQUENCES,
    rise=st.integers(1, 3),
    stamp=MINUTES,
    partstats=st.permutations(("ACCEPTED", "DECLINED")),
    newer_first=st.booleans(),
)
def test_a_higher_sequence_reply_with_the_same_dtstamp_wins(
    low: int, rise: int, stamp: int, partstats: list[str], newer_first: bool
) -> None:
    older = Reply(partstats[0], dtstamp=at(stamp), sequence=low)
    newer = Reply(partstats[1], dtstamp=at(stamp), sequence=low + rise)
    order = [newer, older] if newer_first else [older, newer]

    attendance = stream(*((r, at(stamp)) for r in order))

    assert attendance.replies[MASTER] == newer
    assert attendance.partstat(low + rise) == partstats[1]


@PROPERTY
@given(
    replies=st.lists(
        st.tuples(st.sampled_from(("ACCEPTED", "DECLINED", "TENTATIVE")), SEQUENCES, MINUTES),
        min_size=1,
        max_size=6,
    ),
    data=st.data(),
)
def test_the_reply_with_the_highest_sequence_then_dtstamp_wins_in_any_order(
    replies: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    made = [Reply(p, dtstamp=at(m), sequence=s) for p, s, m in replies]
    shuffled = data.draw(st.permutations(made))

    attendance = stream(*((r, at(700)) for r in shuffled))

    assert attendance.replies[MASTER] == max(made, key=Reply.order)


@PROPERTY
@given(
    sequence=SEQUENCES,
    rise=st.integers(1, 3),
    ahead=AHEAD,
    arrival=MINUTES,
    later=st.integers(1, 600),
)
def test_replies_with_future_stamps_do_not_lock_answers_across_a_sequence_rise(
    sequence: int, rise: int, ahead: timedelta, arrival: int, later: int
) -> None:
    now = at(arrival)
    early = Reply("DECLINED", dtstamp=now + ahead, sequence=sequence)
    answer = Reply("ACCEPTED", dtstamp=at(arrival + later), sequence=sequence + rise)
    attendance = stream((early, now))

    assert attendance.record_reply(answer, at(arrival + later)) is Outcome.RSVP
    assert attendance.partstat(sequence + rise) == "ACCEPTED"
    # At the same SEQUENCE, the attendee's later real answer also wins over the future stamp.
    again = Reply("TENTATIVE", dtstamp=at(arrival + later), sequence=sequence)
    attendance = stream((early, now))
    assert attendance.record_reply(again, at(arrival + later)) is Outcome.RSVP


# -- organizer messages with a DTSTAMP from the future -------------------------------------------


@PROPERTY
@given(
    sequence=SEQUENCES,
    ahead=AHEAD,
    arrival=MINUTES,
    later=st.integers(1, 600),
    rise=st.integers(0, 2),
    method=st.sampled_from((Method.REQUEST, Method.CANCEL)),
    instance=st.sampled_from((None, INSTANCES[0])),
)
def test_a_future_stamped_version_is_superseded_by_the_organizers_next_message(
    sequence: int,
    ahead: timedelta,
    arrival: int,
    later: int,
    rise: int,
    method: Method,
    instance: str | None,
) -> None:
    """The next message at the same SEQUENCE (stamped after the wrong one arrived) or at a
    higher one (stamped whenever) replaces a version stamped up to a year ahead."""
    invite = new_invite()
    if instance is not None:
        arriving(invite, Method.REQUEST, component(sequence=0, dtstamp=T0), T0)
    now = at(arrival)
    wrong = now + ahead
    future = component(sequence=sequence, dtstamp=wrong, recurrence_id=instance, location="A")
    arriving(invite, Method.REQUEST, future, now)
    key = instance or MASTER
    recorded = invite.occurrences[key].revision
    assert (recorded.dtstamp, recorded.sent_dtstamp, recorded.stamped) == (now, wrong, wrong)
    assert recorded.as_dict()["sent_dtstamp"] == wrong.isoformat()
    assert Revision.from_dict(recorded.as_dict()).sent_dtstamp == wrong

    stamp = at(arrival + later) if rise == 0 else at(later)
    nxt = component(sequence=sequence + rise, dtstamp=stamp, recurrence_id=instance, location="B")
    outcome = arriving(invite, method, nxt, max(stamp, now))

    assert outcome is (Outcome.CANCELLED if method is Method.CANCEL else Outcome.UPDATED)
    assert invite.occurrences[key].revision.digest == nxt.details.digest()


@PROPERTY
@given(ahead=AHEAD, arrival=MINUTES, again=st.integers(0, 10_000))
def test_a_future_stamped_version_delivered_again_later_is_a_duplicate(
    ahead: timedelta, arrival: int, again: int
) -> None:
    invite = new_invite()
    message = request(sequence=1, dtstamp=at(arrival) + ahead)
    invite.receive(message, at(arrival))

    assert invite.receive(message, at(arrival + again)).outcome is Outcome.DUPLICATE


def test_a_stamp_within_the_clock_skew_is_ordered_as_sent() -> None:
    invite = new_invite()
    invite.receive(request(dtstamp=at(4)), T0)

    revision = invite.occurrences[MASTER].revision
    assert (revision.dtstamp, revision.sent_dtstamp) == (at(4), None)
    assert "sent_dtstamp" not in revision.as_dict()


def test_revisions_recorded_before_clamping_read_as_ordered_by_their_own_dtstamp() -> None:
    old = {"sequence": 2, "dtstamp": at(9).isoformat(), "rank": 0, "digest": "d"}

    revision = Revision.from_dict(old)

    assert (revision.dtstamp, revision.sent_dtstamp, revision.stamped) == (at(9), None, at(9))
    assert not revision.ordered_as_arrival


# -- the whole loop: send, cancel one instance, answer ------------------------------------------


def test_answers_to_the_newest_request_count_after_an_instance_is_cancelled(
    tmp_path: Path,
) -> None:
    """Issue 12: the report (and the statistics) said "no answer" to these answers."""
    now = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    settings_ = Settings(backend="memory", data_dir=tmp_path, mail_domain="invites.example")
    service = driver(bootstrap(settings_))
    raw = (CORPUS / "recurring/gcal-weekly-recur.ics").read_bytes()
    ref = str(from_organizer(service, raw, now=now).invite)
    holders, newcomer = ["guest0@example.org", "guest1@example.org"], "guest2@example.org"
    service.send(ref, [Recipient(p) for p in holders], now=now)
    calendar = Calendar.from_ical(raw)
    event = calendar.events[0]
    calendar["METHOD"] = "CANCEL"
    event["SEQUENCE"] = int(event.get("SEQUENCE", 0)) + 1
    event.add("RECURRENCE-ID", event.start + timedelta(days=7))
    del event["RRULE"]
    later = now + timedelta(hours=1)
    assert from_organizer(service, calendar.to_ical(), now=later).outcome is Outcome.CANCELLED
    service.send(ref, [Recipient(newcomer)], now=later)

    requests = {
        (e.to.strip("<>").split()[-1].strip("<>"), e.sequence): e.path.read_bytes()
        for e in OutboxFolderMailer(tmp_path / "outbox").entries()
        if e.method == "REQUEST"
    }
    assert sorted(requests) == [(holders[0], 0), (holders[1], 0), (newcomer, 1)]
    for n, ((guest, _), mail) in enumerate(sorted(requests.items())):
        invitation = invitation_calendar(mail)
        assert invitation is not None
        reply, address = answer(invitation, guest, "ACCEPTED")
        result = service.ingest(reply, now=later + timedelta(minutes=n + 1), envelope_to=address)
        assert result.outcome is Outcome.RSVP

    rows = service.report(ref)
    assert {r.address: r.status for r in rows} == dict.fromkeys([*holders, newcomer], "accepted")
    store = MemoryReadModel()
    ProjectionRunner(service.store, store).run()
    statistics = Reports(store).statistics(UUID(ref))
    assert statistics is not None
    assert statistics["by_status"]["accepted"] == 3
