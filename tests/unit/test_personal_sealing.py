"""Personal fields are sealed per person in every stored event and snapshot: readable while
the person's key exists, read as their placeholder (and nothing) once it is erased, with
everything else (answers, counts, times) unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from application.privacy.keys import is_placeholder, placeholder
from application.privacy.personal import EVENTS
from application.projections.events import events_of
from application.store import InviteStore
from application.transcodings import register_domain_transcodings
from domain.api_keys import ApiKey, KeyRing
from domain.attendance import Attendance, Reply
from domain.blocks import RecipientBlock
from domain.delivery import Delivery
from domain.distribution import Distribution
from domain.indexes import InboundMessage, UidIndex
from domain.invite import Invite
from domain.landings import LandingClaim
from domain.notices import DeferredNotice
from domain.organizer import Organizer
from domain.roster import RosterPage
from domain.sender_domains import SenderDomain
from domain.sign_in import SignInUse, WebSession
from domain.suppressions import Suppression
from domain.values import Attendee, EventDetails

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
A = TypeVar("A", bound=Aggregate)
_PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE")

# "zq" starts no word nor hex digit a stored event could hold otherwise ("invite", a digest).
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=10).map("zq".__add__)
people = st.lists(names, min_size=1, max_size=6, unique=True)


def store_at(folder: Path) -> InviteStore:
    return InviteStore(
        {"PERSISTENCE_MODULE": "adapters.storage.sqlite", "SQLITE_DBNAME": str(folder / "e.db")}
    )


def loaded(store: InviteStore, kind: type[A], ident: UUID) -> A:
    found = store.load(kind, ident)
    assert found is not None
    return found


def stored_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir())).lower()


def answered(store: InviteStore, invite: UUID, person: str, partstat: str) -> Attendance:
    attendance = Attendance(invite=invite, address=f"{person}@example.net", timestamp=NOW)
    reply = Reply(partstat=partstat, name=f"Name {person}", comment=f"from {person}", sequence=0)
    attendance.record_reply(reply, NOW)
    store.save(attendance)
    return attendance


@settings(max_examples=15, deadline=None)
@given(everyone=people, erased=st.data())
def test_only_the_erased_read_as_placeholders_and_every_answer_stays(
    tmp_path_factory: Any, everyone: list[str], erased: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("store")
    store, invite = store_at(folder), uuid4()
    partstat = {p: _PARTSTATS[i % 3] for i, p in enumerate(everyone)}
    ids = {p: answered(store, invite, p, partstat[p]).id for p in everyone}
    for person in everyone:
        assert person.encode() not in stored_bytes(folder), "an address or name in clear"
    gone = erased.draw(st.sets(st.sampled_from(everyone)))
    for person in gone:
        store.keyring.erase(store.keyring.kid(f"{person}@example.net"), NOW)
    reopened = store_at(folder)
    for person in everyone:
        attendance = reopened.load(Attendance, ids[person])
        assert attendance is not None
        reply = attendance.replies[""]
        assert reply.partstat == partstat[person]
        if person in gone:
            assert is_placeholder(attendance.address)
            assert (reply.name, reply.comment) == (None, None)
        else:
            assert attendance.address == f"{person}@example.net"
            assert (reply.name, reply.comment) == (f"Name {person}", f"from {person}")


def test_snapshots_are_sealed_and_read_as_erased_after_the_erasure(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    attendance = answered(store, uuid4(), "quintessa", "ACCEPTED")
    store.take_snapshot(attendance.id)
    assert b"quintessa" not in stored_bytes(tmp_path)
    reader = store_at(tmp_path)
    assert loaded(reader, Attendance, attendance.id).address == "quintessa@example.net"
    kid = store.keyring.kid("Quintessa@Example.NET")
    assert store.keyring.erase(kid, NOW)
    later = store_at(tmp_path)
    restored = loaded(later, Attendance, attendance.id)
    assert restored.address == placeholder(kid)
    assert restored.replies[""].partstat == "ACCEPTED"


def test_each_attendee_of_an_invitation_is_sealed_for_themselves(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    details = EventDetails(
        summary="Planning",
        attendees=(
            Attendee("quintessa@example.net", "Zelda Quintessa", sent_by="assistant@example.net"),
            Attendee("bob@example.org", "Bob Builder", delegated_to=("quintessa@example.net",)),
        ),
    )
    held = {"details": details}
    transcoder = store.mapper.transcoder
    data = transcoder.encode(held)
    assert store.keyring.flush()  # what a save does before its events: keep the new keys
    assert b"quintessa" not in data.lower()
    assert b"bob@example.org" not in data.lower()
    assert transcoder.decode(data)["details"] == details
    store.keyring.erase(store.keyring.kid("quintessa@example.net"), NOW)
    after = transcoder.decode(data)["details"]
    zelda, bob = after.attendees
    assert is_placeholder(zelda.address)
    assert zelda.name is None
    assert zelda.sent_by == "assistant@example.net"  # someone else's: still theirs
    assert (bob.address, bob.name) == ("bob@example.org", "Bob Builder")
    assert is_placeholder(bob.delegated_to[0])  # the erased person, named by someone else


def test_an_erased_persons_new_answer_is_kept_already_erased(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    kid = store.keyring.kid("quintessa@example.net")
    store.keyring.erase(kid, NOW)
    attendance = answered(store, uuid4(), "quintessa", "DECLINED")
    assert b"quintessa" not in stored_bytes(tmp_path)
    reader = store_at(tmp_path)
    restored = loaded(reader, Attendance, attendance.id)
    assert restored.address == placeholder(kid)
    assert restored.replies[""].partstat == "DECLINED"


def test_events_stored_before_sealing_still_read(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    # The mapper this store had before sealing: eventsourcing's, with the domain's transcodings.
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    register_domain_transcodings(transcoder)
    unsealed: Mapper[UUID] = Mapper(transcoder)
    plain = Delivery(
        token="tok",
        invite=uuid4(),
        address="old@example.org",
        name="Old",
        origin="bulk",
        timestamp=NOW,
    )
    store.recorder.insert_events([unsealed.to_stored_event(e) for e in plain.collect_events()])
    details = EventDetails(summary="Old", attendees=(Attendee("old@example.org", "Old"),))
    reader = store_at(tmp_path)
    delivery = loaded(reader, Delivery, plain.id)
    assert (delivery.address, delivery.name) == ("old@example.org", "Old")
    assert reader.mapper.transcoder.decode(transcoder.encode({"d": details}))["d"] == details


# Event parameters that name or describe a person, and the events that hold one but are not
# a recipient's: organizers' own records, and texts the server writes itself.
_PERSONAL_PARAMETERS = {
    "address",
    "name",
    "recipient",
    "attendee",
    "comment",
    "reason",
    "sender",
    "facts",
    "title",
    "attachment",
    "attachment_name",
}
_NOT_RECIPIENTS: dict[type[Aggregate], str] = {
    Organizer: "an organizer's own record",
    SenderDomain: "a domain's owners are organizers",
    ApiKey: "keys are issued to organizers and admins",
    KeyRing: "keys are issued to organizers and admins",
    SignInUse: "only organizers and admins sign in",
    WebSession: "only organizers and admins sign in",
    Invite: "organizer fields; attendees are sealed by their transcoding",
    Distribution: "fingerprints and sequences only",
    RosterPage: "reply tokens only",
    UidIndex: "UIDs only",
}
_WRITTEN_BY_US = {
    # Texts the server writes about a send or a record, naming nobody.
    ("Suppression", "Suppressed", "reason"),
    # Why a notice to an organizer is waiting: their own mail system's answer.
    ("DeferredNotice", "Deferred", "reason"),
    ("DeferredNotice", "SendFailed", "reason"),
}


def test_every_event_that_names_a_recipient_is_sealed() -> None:
    aggregates = (
        Attendance,
        Delivery,
        Suppression,
        LandingClaim,
        RecipientBlock,
        InboundMessage,
        DeferredNotice,
    )
    unsealed = []
    for aggregate in aggregates:
        for event in events_of(aggregate):
            personal = set(_parameters(event)) & _PERSONAL_PARAMETERS
            kind = event.__qualname__.split(".")
            sealed = EVENTS.get(event)
            covered = set(sealed.fields) | set(sealed.others) if sealed else set()
            for name in personal - covered:
                if (kind[0], kind[1], name) not in _WRITTEN_BY_US:
                    unsealed.append(f"{event.__qualname__}.{name}")
    assert unsealed == []
    assert set(_NOT_RECIPIENTS)  # the others, each with why it holds no recipient


def _parameters(event: type[Any]) -> list[str]:
    original = getattr(event, "original_method", None) or getattr(event, "__init__", None)
    found = getattr(getattr(original, "__wrapped__", original), "__code__", None)
    return list(found.co_varnames[1 : found.co_argcount]) if found else []


def test_placeholders_are_distinct_and_name_nobody() -> None:
    first, second = placeholder("a" * 32), placeholder("b" * 32)
    assert first != second
    assert is_placeholder(first)
    assert first.endswith("@erased.invalid")


def test_two_processes_making_one_persons_key_at_once_agree_on_it(tmp_path: Path) -> None:
    first, second = store_at(tmp_path), store_at(tmp_path)
    kid = first.keyring.kid("zqrace@example.net")
    first.keyring.seal(kid, "made in the first process, not kept yet")
    answered(second, uuid4(), "zqrace", "ACCEPTED")  # the second keeps its key first
    mine = answered(first, uuid4(), "zqrace", "DECLINED")  # sealed again, with the kept key
    reader = store_at(tmp_path)
    restored = loaded(reader, Attendance, mine.id)
    assert restored.address == "zqrace@example.net"
    assert restored.replies[""].name == "Name zqrace"
