"""The event store of invites: one eventsourcing Application, and nothing else.

Loading, saving, snapshots and transcodings live here; the use cases live in the flows'
front doors (``application/inbound``, ``outbound``, ``links``, ``reading``, ``admin``), which
are given this store by the composition root.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore, JSONTranscoder, Mapper

from application.privacy.keyring import Keyring
from application.privacy.keys import PersonalKeys
from application.privacy.memory_keys import MemoryPersonalKeys
from application.privacy.sealing import SealingEventStore, SealingMapper, register_sealing
from application.stores import loader, one_by_one, project, version_loader
from application.transcodings import register_domain_transcodings
from domain.attendance import Attendance
from domain.indexes import UidIndex
from domain.invite import Invite
from domain.organizer import Organizer


class InviteStore(Application[UUID]):
    """Keeps organizers' invites and attendees' answers as event-sourced aggregates."""

    name = "CalendarInvites"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Invite: 50,
        Attendance: 50,
        Organizer: 100,
        UidIndex: 100,
    }

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        # Loading an aggregate that does not exist is an answer (None), not an error.
        self.load = loader(self.repository, self.snapshotting_intervals)
        self.load_at = version_loader(self.repository)

    def load_many(self, aggregate_ids: Sequence[UUID]) -> Mapping[UUID, Aggregate]:
        """Return the stored aggregates among ``aggregate_ids``, by id, each rebuilt from all
        its events: in one query where the recorder can read many streams at once (the
        embedded SQLite store), else one load per id. Meant for kinds never snapshotted
        (deliveries, suppressions, blocks), whose every load reads all events anyway."""
        select = getattr(self.recorder, "select_streams", None)
        if not callable(select):
            return one_by_one(self.load)(aggregate_ids)
        found: dict[UUID, Aggregate] = {}
        for stream, stored in select(aggregate_ids).items():
            events = [self.mapper.to_domain_event(event) for event in stored]
            aggregate = project(None, events)
            if isinstance(aggregate, Aggregate):
                found[stream] = aggregate
        return found

    def construct_mapper(self) -> Mapper[UUID]:
        """eventsourcing's mapper, sealing personal fields with per-person keys kept beside
        the events (see ``application/privacy``)."""
        self.keyring = Keyring(self._personal_keys())
        return SealingMapper(super().construct_mapper(), self.keyring)

    def construct_event_store(self) -> EventStore[UUID]:
        """An event store that keeps the keys a save introduces before its events."""
        return SealingEventStore(self.mapper, self.recorder, self.keyring)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """The same for snapshots (eventsourcing's own recorder for them)."""
        recorder = self.factory.aggregate_recorder(purpose="snapshots")
        return SealingEventStore(self.mapper, recorder, self.keyring)

    def _personal_keys(self) -> PersonalKeys:
        # The persistence module keeps the keys beside its events; eventsourcing's in-memory
        # one cannot, so its keys live (and die) with the process, as its events do.
        made = getattr(self.factory, "personal_keys", None)
        return made() if callable(made) else MemoryPersonalKeys()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add the domain's value objects to eventsourcing's default transcodings, with
        the people in them sealed."""
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)
        register_sealing(transcoder, self.keyring)
