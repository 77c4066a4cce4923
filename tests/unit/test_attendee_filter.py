"""The attendee filters: by status (the index of rows by counting bucket) and by address
prefix give exactly the full listing filtered, whatever happened to the invite, and they read
only the rows they return."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, DomainEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.readmodels.memory import MemoryReadModel
from application.projections.keys import AttendeeBucket, Attendees, Partition
from application.projections.projector import Projector
from application.projections.queries import STATUSES, Reports
from application.projections.session import Session
from application.projections.store import Item, ReadModel
from domain.attendance import Attendance, Reply
from domain.delivery import Delivery
from domain.distribution import Distribution
from domain.identity import attendance_id
from domain.invite import Invite
from domain.reply_tokens import reply_token
from tests.fakes import ORGANIZER, T0, UID, at, request

SECRET = b"k" * 32
ADDRESSES = ("ann@a.example", "anna@a.example", "bob@b.example", "bo@b.example", "cy@c.example")
PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED", "NEEDS-ACTION")

steps = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.sampled_from(ADDRESSES)),
        st.tuples(
            st.just("reply"),
            st.sampled_from(ADDRESSES),
            st.sampled_from(PARTSTATS),
            st.integers(-1, 1),  # answering an older, the current or a newer version
            st.sampled_from(("server", "organizer")),
        ),
        st.tuples(st.just("bounce"), st.sampled_from(ADDRESSES)),
        st.tuples(st.just("update"), st.booleans()),  # significant or not
    ),
    max_size=25,
)


class Story:
    """An invite, the server's versions, its deliveries and answers, projected as they go."""

    def __init__(self) -> None:
        self.minute = 0
        self.invite = Invite(organizer=ORGANIZER, organizer_name=None, uid=UID, timestamp=T0)
        self.invite.receive(request(sequence=0), T0)
        self.sequence = 0
        self.distribution = Distribution(invite=self.invite.id, timestamp=T0)
        self.distribution.publish("REQUEST", "v0", "s0", T0)
        self.deliveries: dict[str, Delivery] = {}
        self.answers: dict[str, Attendance] = {}
        self.store = MemoryReadModel()
        self.projector = Projector()
        self.project(self.invite, self.distribution)

    @property
    def id(self) -> UUID:
        return self.invite.id

    def now(self) -> Any:
        self.minute += 1
        return at(self.minute)

    def project(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                assert isinstance(event, DomainEvent)
                session = Session(self.store)
                self.projector.project(session, event)
                session.commit()

    def apply(self, step: tuple[Any, ...]) -> None:
        kind, *args = step
        if kind == "send":
            self.send(args[0])
        elif kind == "reply":
            self.reply(*args)
        elif kind == "bounce":
            delivery = self.deliveries.get(args[0])
            if delivery is not None and delivery.bounced is None:
                delivery.bounce(reason="550 5.1.1 unknown", timestamp=self.now())
                self.project(delivery)
        else:
            self.update(significant=args[0])

    def send(self, address: str) -> None:
        delivery = self.deliveries.get(address)
        if delivery is None:
            token = reply_token(SECRET, self.id, address)
            delivery = Delivery(
                token=token, invite=self.id, address=address, name=None, origin="api",
                timestamp=self.now(),
            )  # fmt: skip
            self.deliveries[address] = delivery
        sequence = self.distribution.sequence
        if delivery.lacks(sequence):
            delivery.intend(sequence, "REQUEST", f"<{sequence}.{address}>", timestamp=self.now())
            delivery.sent(sequence, "outbox", timestamp=self.now())
        self.project(delivery)

    def reply(self, address: str, partstat: str, offset: int, channel: str) -> None:
        stream = self.answers.get(address)
        if stream is None:
            stream = Attendance(invite=self.id, address=address, timestamp=self.now())
            assert stream.id == attendance_id(self.id, address)
            self.answers[address] = stream
        current = self.distribution.sequence if channel == "server" else self.sequence
        moment = self.now()
        answer = Reply(partstat, dtstamp=moment, sequence=max(0, current + offset), channel=channel)
        stream.record_reply(answer, moment)
        self.project(stream)

    def update(self, *, significant: bool) -> None:
        self.sequence += 1
        moment = self.now()
        self.invite.receive(
            request(sequence=self.sequence, dtstamp=moment, summary=f"v{self.sequence}"), moment
        )
        number = self.distribution.sequence + 1
        mark = f"s{number}" if significant else str(self.distribution.significant_fingerprint)
        self.distribution.publish("REQUEST", f"v{number}", mark, moment)
        self.project(self.invite, self.distribution)


def every(reports: Reports, invite: UUID, limit: int, **filters: Any) -> list[dict[str, Any]]:
    page = reports.attendees(invite, limit=limit, **filters)
    items = list(page.items)
    while page.cursor is not None:
        assert len(page.items) == limit
        page = reports.attendees(invite, cursor=page.cursor, limit=limit, **filters)
        items += page.items
    return items


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story=steps, limit=st.integers(1, 4))
def test_a_filtered_listing_is_the_full_listing_filtered(
    story: list[tuple[Any, ...]], limit: int
) -> None:
    told = Story()
    for step in story:
        told.apply(step)
        reports = Reports(told.store)
        everyone = every(reports, told.id, limit=50)
        for status in STATUSES:
            wanted = [row for row in everyone if row["status"] == status]
            assert every(reports, told.id, limit, status=status) == wanted, status
        for prefix in ("an", "ann", "b", "bo", "z", "ANN"):
            wanted = [row for row in everyone if row["address"].startswith(prefix)]
            assert every(reports, told.id, limit, prefix=prefix) == wanted, prefix
            accepted = [row for row in wanted if row["status"] == "accepted"]
            assert every(reports, told.id, limit, prefix=prefix, status="accepted") == accepted
    # Each row is indexed in exactly one bucket: the index holds nothing stale.
    indexed = [
        (pk, item.sk) for pk in told.store._items if isinstance(pk, AttendeeBucket)
        for item in told.store.query(pk, limit=10**6)
    ]  # fmt: skip
    rows = told.store.query(Attendees(str(told.id)), limit=10**6)
    assert sorted(sk for _, sk in indexed) == sorted(item.sk for item in rows)


class CountingStore(ReadModel):
    """A read model that counts the items its queries return (to show what a page reads)."""

    def __init__(self, inner: ReadModel) -> None:
        self.inner = inner
        self.read = 0

    def get(self, pk: Partition, sk: str) -> Item | None:
        self.read += 1
        return self.inner.get(pk, sk)

    def get_many(self, pk: Partition, sks: Sequence[str]) -> list[Item]:
        found = self.inner.get_many(pk, sks)
        self.read += len(found)
        return found

    def query(self, pk: Partition, **bounds: Any) -> list[Item]:
        found = self.inner.query(pk, **bounds)
        self.read += len(found)
        return found

    def counters(self, pk: Partition) -> dict[str, int]:
        return self.inner.counters(pk)

    def position(self, key: Any) -> int:
        return self.inner.position(key)

    def commit(self, batch: Any) -> None:
        self.inner.commit(batch)

    def clear(self) -> None:
        self.inner.clear()


@pytest.mark.parametrize("audience", [10, 3000])
def test_a_filtered_page_reads_about_a_page_however_large_the_invite(audience: int) -> None:
    told = Story()
    for n in range(audience):
        told.send(f"guest{n:05}@example.org")
    for n in range(0, audience, 7):
        told.reply(f"guest{n:05}@example.org", "ACCEPTED", 0, "server")
    counting = CountingStore(told.store)
    reports = Reports(counting)

    page = reports.attendees(told.id, limit=20, status="accepted")
    assert [row["status"] for row in page.items] == ["accepted"] * min(
        20, len(range(0, audience, 7))
    )
    # The summary and the distribution, the keys of the accepted bucket, the rows shown.
    assert counting.read <= 2 + 21 + 20
    counting.read = 0
    page = reports.attendees(told.id, limit=20, prefix="guest0001")
    assert all(row["address"].startswith("guest0001") for row in page.items)
    assert counting.read <= 2 + 21
