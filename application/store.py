"""The event store of invites: one eventsourcing Application, and nothing else.

Loading, saving, snapshots and transcodings live here; the use cases live in the flows'
front doors (``application/inbound``, ``outbound``, ``links``, ``reading``, ``admin``), which
are given this store by the composition root.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from application.stores import loader
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
        self.load = loader(self.repository)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add the domain's value objects to eventsourcing's default transcodings."""
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)
