"""Erasing a person from the views: their rows move to the placeholder address, stripped of
everything personal, the counts stay as they were, and the views are exactly those a replay
of their erased events builds (so `cis replay` after an erasure changes nothing)."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, DomainEvent

from adapters.readmodels.memory import MemoryReadModel
from application.projections import events as ev
from application.projections.erasure import (
    ERASED,
    anonymize_attendee,
    anonymize_person,
    anonymized_row,
)
from application.projections.keys import META, AttendeeBucket, Attendees, StreamMeta
from application.projections.projector import Projector
from application.projections.queries import Reports
from application.projections.session import Session
from application.projections.store import ReadModel
from domain.attendance import Attendance, Reply
from domain.delivery import FORWARDED, Delivery
from domain.distribution import Distribution
from domain.invite import Invite
from domain.reply_tokens import reply_token
from tests.fakes import ORGANIZER, T0, UID, at, request

SECRET = b"k" * 32
PERSON = "zoe.quintessa@example.org"
NAME = "Zoë Quintessa"
BOB = "bob@example.net"
CAROL = "carol@example.com"  # answered the copy PERSON forwarded to her
# How the person's own client may spell the address: the attendance stream is the same one
# (its id is derived from the address normalized), but its events say this.
SHOUTED = "Zoe.Quintessa@EXAMPLE.org"


def placeholder(address: str) -> str:
    """The erased address as the event side spells it (distinct per person, nothing personal)."""
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:20]
    return f"erased-{digest}@erased.invalid"


ERASED_ADDRESS = placeholder(PERSON)
Stored = TypeVar("Stored", bound=ReadModel)


@dataclass
class Story:
    """One invite sent to the person, Bob and a forwardee; every event, in order."""

    invite: Invite
    person: Delivery
    attendance: Attendance
    events: list[DomainEvent] = field(default_factory=list)
    others: list[Delivery] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.invite.id)


def told(*, spelled_twice: bool = False) -> Story:
    """Send, fail, bounce, reply (with a name, a client and a voucher), forward, update."""
    minute = iter(range(1, 1000))
    invite = Invite(organizer=ORGANIZER, organizer_name="Alice", uid=UID, timestamp=T0)
    invite.receive(request(sequence=0), T0)
    distribution = Distribution(invite=invite.id, timestamp=T0)
    distribution.publish("REQUEST", "v0", "s0", T0)
    deliveries = []
    for address, name in ((PERSON, NAME), (BOB, "Bob")):
        token = reply_token(SECRET, invite.id, address)
        delivery = Delivery(
            token=token, invite=invite.id, address=address, name=name, origin="bulk",
            timestamp=at(next(minute)),
        )  # fmt: skip
        delivery.intend(0, "REQUEST", f"<0.{token}@x>", timestamp=at(next(minute)))
        delivery.sent(0, "outbox", timestamp=at(next(minute)))
        deliveries.append(delivery)
    person = deliveries[0]
    person.failed(0, f"550 {PERSON} ({NAME}) mailbox full", True, timestamp=at(next(minute)))
    person.bounce(f"5.1.1 <{PERSON}>: user unknown", timestamp=at(next(minute)))
    answer = Reply(
        "ACCEPTED", dtstamp=at(next(minute)), sequence=0, name=NAME, channel="server",
        prodid="-//Google Inc//Google Calendar 70.9054//EN", comment=f"{NAME} will come",
        verified_by=f"the reply address of {PERSON}",
    )  # fmt: skip
    spelled = SHOUTED if spelled_twice else PERSON
    attendance = Attendance(invite=invite.id, address=spelled, timestamp=at(next(minute)))
    attendance.record_reply(answer, at(next(minute)))
    bob = Attendance(invite=invite.id, address=BOB, timestamp=at(next(minute)))
    bob.record_reply(Reply("DECLINED", dtstamp=at(next(minute)), sequence=0), at(next(minute)))
    person.enrol_forwardee(address=CAROL, timestamp=at(next(minute)))
    carol = Delivery(
        token=reply_token(SECRET, invite.id, CAROL), invite=invite.id, address=CAROL,
        name="Carol", origin=FORWARDED, timestamp=at(next(minute)),
    )  # fmt: skip
    forwarded = Reply(
        "TENTATIVE", dtstamp=at(next(minute)), sequence=0, channel="server", forwarded_by=PERSON
    )
    carol_answers = Attendance(invite=invite.id, address=CAROL, timestamp=at(next(minute)))
    carol_answers.record_reply(forwarded, at(next(minute)))
    aggregates: list[Aggregate] = [invite, distribution, *deliveries, attendance, bob, carol]
    aggregates.append(carol_answers)
    events: list[DomainEvent] = [
        e for a in aggregates for e in a.collect_events() if isinstance(e, DomainEvent)
    ]
    events.sort(key=lambda e: e.timestamp)
    return Story(invite, person, attendance, events, [deliveries[1], carol])


def decoded_after_erasure(event: DomainEvent, streams: set[UUID]) -> DomainEvent:
    """Return ``event`` as it reads once the person is erased: what `cis replay` projects.

    The person's own streams decode with the placeholder address, no names, ``[erased]``
    reasons and no reply name, comment, forwarder or voucher; a forwardee's reply names the
    placeholder as who forwarded it.
    """
    facts = vars(event)
    changes: dict[str, Any] = {}
    if event.originator_id in streams:
        if "address" in facts and type(event) is not ev.DELIVERY_FORWARDEE_ENROLLED:
            changes["address"] = ERASED_ADDRESS
        if "name" in facts:
            changes["name"] = None
        if "reason" in facts:
            changes["reason"] = ERASED
        if isinstance(facts.get("reply"), Reply):
            changes["reply"] = replace(facts["reply"], name=None, comment=None, verified_by=None)
    elif isinstance(facts.get("reply"), Reply) and _forwarded_by_person(facts["reply"]):
        changes["reply"] = replace(facts["reply"], forwarded_by=ERASED_ADDRESS)
    if not changes:
        return event
    decoded = copy.copy(event)
    for name, value in changes.items():
        object.__setattr__(decoded, name, value)
    return decoded


def _forwarded_by_person(reply: Reply) -> bool:
    return reply.forwarded_by is not None and reply.forwarded_by.lower() == PERSON


def project(store: Stored, events: list[DomainEvent]) -> Stored:
    projector = Projector()
    for event in events:
        session = Session(store)
        projector.project(session, event)
        session.commit()
    return store


def dump(store: MemoryReadModel) -> dict[str, Any]:
    """Every item and counter a reader can see (no revisions: they count writes)."""
    items = {(pk, i.sk): i.data for pk in list(store._items) for i in store.query(pk, limit=10**6)}
    counters = {
        (pk, k): v for pk in list(store._counters) for k, v in store.counters(pk).items() if v
    }
    return {"items": items, "counters": counters}


def erase(store: ReadModel, story: Story, address: str = PERSON) -> Any:
    return anonymize_attendee(
        store, story.id, address, ERASED_ADDRESS, streams=[story.person.id], forwardees=[CAROL]
    )


def person_streams(story: Story) -> set[UUID]:
    return {story.person.id, story.attendance.id}


@pytest.mark.parametrize("spelled_twice", [False, True])
def test_erased_views_are_what_a_replay_of_the_erased_events_builds(spelled_twice: bool) -> None:
    story = told(spelled_twice=spelled_twice)
    live = project(MemoryReadModel(), story.events)
    done = erase(live, story)
    # Two spellings: the delivery's row and the attendance's, one row once replayed.
    assert (done.rows, done.streams, done.forwards) == (1 + spelled_twice, 2, 1)
    streams = person_streams(story)
    replayed = project(MemoryReadModel(), [decoded_after_erasure(e, streams) for e in story.events])
    assert dump(live) == dump(replayed)


def test_counts_stay_and_the_listing_shows_the_placeholder() -> None:
    story = told()
    live = project(MemoryReadModel(), story.events)
    reports = Reports(live)
    invite = UUID(story.id)
    before = (reports.statistics(invite), reports.system_statistics())
    assert erase(live, story)
    assert (reports.statistics(invite), reports.system_statistics()) == before
    listed = reports.attendees(invite).items
    assert [row["address"] for row in listed] == sorted([BOB, CAROL, ERASED_ADDRESS])
    erased = next(row for row in listed if row["address"] == ERASED_ADDRESS)
    assert (erased["name"], erased["verified_by"], erased["forwarded_by"]) == (None, None, None)
    shown = (erased["status"], erased["client"], erased["origin"])
    assert shown == ("accepted", "Google Calendar", "bulk")
    assert [e["what"] for e in erased["history"]][-3:] == [
        f"send failed: {ERASED}",
        f"bounced: {ERASED}",
        "replied accepted",
    ]
    carol = next(row for row in listed if row["address"] == CAROL)
    assert carol["forwarded_by"] == ERASED_ADDRESS
    assert reports.attendees(invite, status="accepted").items == [erased]
    seen = repr(dump(live)).lower()
    assert [trace for trace in (PERSON, "quintessa", NAME.lower()) if trace in seen] == []


def test_events_projected_after_the_erasure_land_on_the_placeholder_row() -> None:
    story = told()
    live = project(MemoryReadModel(), story.events)
    erase(live, story)
    # An attempt in flight at the erasure: its outcome is projected afterwards.
    story.person.intend(1, "REQUEST", "<1@x>", timestamp=at(500))
    story.person.sent(1, "outbox", timestamp=at(501))
    project(live, [e for e in story.person.collect_events() if isinstance(e, DomainEvent)])
    assert live.get(Attendees(story.id), PERSON) is None
    row = live.get(Attendees(story.id), ERASED_ADDRESS)
    meta = live.get(StreamMeta(str(story.person.id)), META)
    assert row is not None
    assert meta is not None
    assert (row.data["last_sequence_sent"], meta.data["address"]) == (1, ERASED_ADDRESS)


def test_erasing_again_or_someone_absent_changes_nothing() -> None:
    story = told()
    live = project(MemoryReadModel(), story.events)
    assert erase(live, story, SHOUTED)  # any spelling of the address finds the person
    assert isinstance(live, MemoryReadModel)
    after = dump(live)
    assert not erase(live, story)
    assert not anonymize_attendee(live, story.id, "nobody@example.org", placeholder("nobody"))
    assert dump(live) == after


def test_the_bucket_index_holds_the_placeholder_only() -> None:
    story = told()
    live = project(MemoryReadModel(), story.events)
    erase(live, story)
    assert isinstance(live, MemoryReadModel)
    indexed = [(pk, i.sk) for pk in live._items if isinstance(pk, AttendeeBucket) for i in
               live.query(pk, limit=100)]  # fmt: skip
    assert sorted(sk for _, sk in indexed) == sorted([BOB, CAROL, ERASED_ADDRESS])


def test_an_anonymized_row_keeps_what_counts_and_nothing_personal() -> None:
    row = {
        "invite": "i", "address": PERSON, "recipient": True, "name": NAME, "origin": "vip",
        "last_sequence_sent": 2, "bounced": True,
        "reply": {"partstat": "DECLINED", "sequence": 2, "channel": "organizer", "at": "t",
                  "name": NAME, "client": "outlook", "forwarded_by": BOB, "verified_by": "dmarc"},
        "history": [{"at": "t", "what": "invited (vip)"}, {"at": "u", "what": f"bounced: {NAME}"}],
    }  # fmt: skip
    out = anonymized_row(row, ERASED_ADDRESS)
    assert (out["address"], out["name"]) == (ERASED_ADDRESS, None)
    assert (out["reply"]["partstat"], out["reply"]["client"]) == ("DECLINED", "outlook")
    assert [out["reply"][k] for k in ("name", "verified_by")] == [None] * 2
    assert out["reply"]["forwarded_by"] == BOB  # sealed with Bob's own key: still Bob's
    assert [e["what"] for e in out["history"]] == ["invited (vip)", "bounced: [erased]"]
    assert row["name"] == NAME  # the row read is left as it was


def test_a_person_is_found_in_every_invite_their_streams_feed() -> None:
    story = told()
    live = project(MemoryReadModel(), story.events)
    elsewhere = str(uuid4())  # an invite named that the person has no row in
    done = anonymize_person(
        live, PERSON, ERASED_ADDRESS, invites=[elsewhere], forwardees=[CAROL],
        streams=[story.person.id, story.attendance.id, uuid4()],  # and a stream of no view
    )  # fmt: skip
    assert [(d.invite, d.rows, d.streams, d.forwards) for d in done] == sorted(
        [(story.id, 1, 2, 1), (elsewhere, 0, 0, 0)]
    )
    replayed = project(
        MemoryReadModel(), [decoded_after_erasure(e, person_streams(story)) for e in story.events]
    )
    assert dump(live) == dump(replayed)
