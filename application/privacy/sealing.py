"""Sealing personal fields on their way into the event store, and opening them on the way out.

The event store's mapper seals the fields :mod:`application.privacy.personal` names, with the
key of the person the event is about; the transcodings of the value objects that hold people
(attendees, replies) seal theirs. Stored state keeps every other field in clear, so a
replay after an erasure still counts every reply and delivery, under the erased person's
placeholder. Values stored before sealing existed read as they were written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import asdict
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import CanSnapshotAggregate, DomainEventProtocol
from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    JSONTranscoder,
    Mapper,
    Notification,
    OperationalError,
    Recording,
    StoredEvent,
    Transcoding,
)
from eventsourcing.utils import resolve_topic

from application.privacy.keyring import Keyring, Sealed
from application.privacy.personal import (
    AGGREGATE,
    EVENTS,
    SNAPSHOTS,
    Personal,
    address,
    nothing,
    person,
)
from domain.attendance import Reply
from domain.occurrence import Occurrence
from domain.values import Attendee, EventDetails

# The person the event being encoded is about: what a Reply inside it is sealed for.
_PERSON: ContextVar[str | None] = ContextVar("person", default=None)


class SealedAsDict(Transcoding):
    """How a sealed value is stored: the key id and the box (never the value)."""

    type = Sealed
    name = "sealed"

    def encode(self, obj: Sealed) -> dict[str, Any]:
        return {"k": obj.kid, "b": obj.box}

    def decode(self, data: dict[str, Any]) -> Sealed:
        return Sealed(data["k"], data["b"])


# Who a value object is about, sealed under that person's key ("own"); addresses of other
# people in it (a delegate, the recipient whose copy was forwarded), each under their own key.
_ATTENDEE_OWN = ("address", "name")
_REPLY_OWN = ("name", "comment", "verified_by")
_OTHERS = ("sent_by", "forwarded_by")
_OTHERS_LISTS = ("delegated_to", "delegated_from")


class _People:
    """Seals the other people a value object names, each under their own key."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def seal_others(self, data: dict[str, Any]) -> None:
        for name in _OTHERS:
            if person(data.get(name)) is not None:
                data[name] = self._seal(data[name])
        for name in _OTHERS_LISTS:
            if name in data:
                data[name] = [self._seal(a) if person(a) else a for a in data[name]]

    def open_others(self, data: dict[str, Any]) -> None:
        for name in _OTHERS:
            if isinstance(data.get(name), Sealed):
                data[name] = self.keyring.open(data[name], address)
        for name in _OTHERS_LISTS:
            if name in data:
                data[name] = [
                    self.keyring.open(a, address) if isinstance(a, Sealed) else a
                    for a in data[name]
                ]

    def _seal(self, value: str) -> Sealed:
        return self.keyring.seal(self.keyring.kid(value), value)


class SealedAttendee(Transcoding):
    """An attendee, with who they are sealed under their own key."""

    type = Attendee
    name = "attendee"  # the stored name of attendees: unsealed ones decode as before

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self.people = _People(keyring)

    def encode(self, obj: Attendee) -> dict[str, Any]:
        return self.seal(obj.as_dict())

    def decode(self, data: dict[str, Any]) -> Attendee:
        return Attendee.from_dict(self.open(data))

    def seal(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seal an attendee's dict (as :meth:`Attendee.as_dict` made it)."""
        data = dict(data)
        self.people.seal_others(data)
        if person(data.get("address")) is None:
            return data  # an erased person's placeholder: nothing left to seal
        own = {name: data.pop(name) for name in _ATTENDEE_OWN}
        data["p"] = self.keyring.seal(self.keyring.kid(own["address"]), own)
        return data

    def open(self, data: dict[str, Any]) -> dict[str, Any]:
        """Open what :meth:`seal` made (an unsealed dict is returned as it is)."""
        sealed = data.pop("p", None)
        if isinstance(sealed, Sealed):
            data |= self.keyring.open(sealed, _erased_attendee)
        self.people.open_others(data)
        return data


class SealedDetails(Transcoding):
    """What a VEVENT says, with its attendees sealed (its dict nests theirs as dicts)."""

    type = EventDetails
    name = "event_details"

    def __init__(self, attendees: SealedAttendee) -> None:
        self.attendees = attendees

    def encode(self, obj: EventDetails) -> dict[str, Any]:
        return _with_attendees(obj.as_dict(), self.attendees.seal)

    def decode(self, data: dict[str, Any]) -> EventDetails:
        return EventDetails.from_dict(_with_attendees(data, self.attendees.open))


class SealedOccurrence(Transcoding):
    """One instance of a series, with the attendees of its details sealed."""

    type = Occurrence
    name = "occurrence"

    def __init__(self, attendees: SealedAttendee) -> None:
        self.attendees = attendees

    def encode(self, obj: Occurrence) -> dict[str, Any]:
        return self._each(obj.as_dict(), self.attendees.seal)

    def decode(self, data: dict[str, Any]) -> Occurrence:
        return Occurrence.from_dict(self._each(data, self.attendees.open))

    @staticmethod
    def _each(
        data: dict[str, Any], change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        for key in ("details", "said"):
            if isinstance(data.get(key), dict):
                data[key] = _with_attendees(data[key], change)
        return data


def _with_attendees(
    data: dict[str, Any], change: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    data["attendees"] = [change(attendee) for attendee in data.get("attendees", ())]
    return data


def _erased_attendee(placeholder: str) -> dict[str, Any]:
    return {"address": placeholder, "name": None}


class SealedReply(Transcoding):
    """A reply, with what identifies its author sealed under the event's person's key."""

    type = Reply
    name = "reply"

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self.people = _People(keyring)

    def encode(self, obj: Reply) -> dict[str, Any]:
        data = obj.as_dict()
        author = _PERSON.get()
        if author is not None:
            self.people.seal_others(data)
            own = {name: data.pop(name) for name in _REPLY_OWN}
            data["p"] = self.keyring.seal(author, own)
        return data

    def decode(self, data: dict[str, Any]) -> Reply:
        sealed = data.pop("p", None)
        if isinstance(sealed, Sealed):
            data |= self.keyring.open(sealed, {})
        self.people.open_others(data)
        return Reply.from_dict(data)


def register_sealing(transcoder: JSONTranscoder, keyring: Keyring) -> None:
    """Replace the attendee and reply transcodings with sealing ones; teach sealed values."""
    attendees = SealedAttendee(keyring)
    for transcoding in (
        SealedAsDict(),
        attendees,
        SealedDetails(attendees),
        SealedOccurrence(attendees),
        SealedReply(keyring),
    ):
        transcoder.register(transcoding)


class SealingMapper(Mapper[UUID]):
    """eventsourcing's mapper, sealing each event's personal fields for its person."""

    def __init__(self, inner: Mapper[UUID], keyring: Keyring) -> None:
        super().__init__(inner.transcoder, inner.compressor, inner.cipher)
        self.keyring = keyring

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Seal, then store as eventsourcing does."""
        state = dict(vars(domain_event))
        stream = cast(UUID, state["originator_id"])
        if isinstance(domain_event, CanSnapshotAggregate):
            spec = SNAPSHOTS.get(resolve_topic(domain_event.topic))
            inner = dict(state["state"])
            person = self._seal(spec, inner, stream)
            state["state"] = inner
        else:
            person = self._seal(EVENTS.get(type(domain_event)), state, stream)
        sealed = object.__new__(type(domain_event))
        object.__setattr__(sealed, "__dict__", state)
        token = _PERSON.set(person)
        try:
            return super().to_stored_event(sealed)
        finally:
            _PERSON.reset(token)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Read as eventsourcing does, then open the sealed fields (or read them as erased)."""
        domain_event = super().to_domain_event(stored_event)
        state = vars(domain_event)
        if isinstance(domain_event, CanSnapshotAggregate):
            spec = SNAPSHOTS.get(resolve_topic(domain_event.topic))
            state["state"] = dict(state["state"])
            self._open(spec, state["state"])
        else:
            self._open(EVENTS.get(type(domain_event)), state)
        return domain_event

    def _seal(self, spec: Personal | None, state: dict[str, Any], stream: UUID) -> str | None:
        if spec is None:
            return None
        for name in spec.others:
            if person(state.get(name)) is not None:
                state[name] = self.keyring.seal(self.keyring.kid(state[name]), state[name])
        if spec.owner == AGGREGATE:
            kid = self.keyring.owner(stream)
        else:
            found = spec.owner(state) if callable(spec.owner) else None
            kid = self.keyring.kid(found) if found else None
            if kid is not None and spec.notes_stream:
                self.keyring.own(stream, kid)
            elif kid is None:
                # Noted by the use case that knew whose it is (a receipt of an answer).
                kid = self.keyring.owner(stream)
        if kid is None:
            return None  # a stream from before sealing: its fields stay as they were written
        for name in spec.fields:
            if name in state and state[name] is not None:
                state[name] = self.keyring.seal(kid, _plain(state[name]))
        return kid

    def _open(self, spec: Personal | None, state: dict[str, Any]) -> None:
        erased: Mapping[str, Any] = {} if spec is None else {**spec.fields, **spec.others}
        for name, value in state.items():
            if isinstance(value, Sealed):
                state[name] = self.keyring.open(value, erased.get(name, nothing))


def _plain(value: Any) -> Any:
    # Sealed fields are addresses, names and texts, or mappings of them; never value objects.
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value


class SealingEventStore(EventStore[UUID]):
    """eventsourcing's event store, keeping the keys and owners a save introduces (one
    write) before its events: a key is durable no later than the first event sealed with it."""

    # Another process making the same new person's key at the same moment loses at most
    # once per person; a few rounds always settle a save.
    ATTEMPTS = 5

    def __init__(self, mapper: Mapper[UUID], recorder: AggregateRecorder, keyring: Keyring):
        super().__init__(mapper, recorder)
        self.keyring = keyring

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        """Seal and map the events, keep what they introduced, then record them."""
        for _ in range(self.ATTEMPTS):
            try:
                stored = [self.mapper.to_stored_event(event) for event in domain_events]
            except BaseException:
                self.keyring.discard()
                raise
            if self.keyring.flush():
                break
        else:
            msg = f"personal keys still contended after {self.ATTEMPTS} attempts"
            raise OperationalError(msg)
        ids = self.recorder.insert_events(stored, **kwargs)
        if not ids:
            return []
        return [
            Recording(event, _notification(record, nid))
            for event, record, nid in zip(domain_events, stored, ids, strict=True)
        ]


def _notification(stored: StoredEvent, nid: int) -> Notification:
    return Notification(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=stored.state,
        id=nid,
    )
