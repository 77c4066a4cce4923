"""Drives the application as tests do: each use case by its name, through the front doors
the real composition root built, with the event store beside them for assertions.

Production entry points call one front door each (``application/front_doors.py``); tests
read more easily as ``service.send(...)`` and ``service.load(...)``, so this driver names
each use case once and says which door it is behind.
"""

from __future__ import annotations

from typing import Any

from application.admin.registry import OrganizerRegistry
from application.front_doors import FrontDoors
from application.ports import BlobStore, MessageParser
from application.reading.report import ReportRow
from application.send_types import OutboundSettings
from application.store import InviteStore
from entrypoints.container import Container


class Driver:
    """One container's front doors and event store, as one object for tests."""

    def __init__(self, container: Container) -> None:
        self.container = container
        doors: FrontDoors = container.front_doors()
        store: InviteStore = container.store()
        self.doors, self.store = doors, store
        self.ingest = doors.inbound.ingest
        self.reingest = doors.inbound.reingest
        self.cancel = doors.inbound.cancel
        self.send = doors.outbound.send
        self.approve = doors.outbound.approve
        self.retry = doors.outbound.retry
        self.work = doors.outbound.work
        self.email_report = doors.outbound.email_report
        self.show = doors.reading.show
        self.history = doors.reading.history
        self.invites = doors.reading.invites
        self.outbox = doors.reading.outbox
        self.receipt = doors.reading.receipt
        self.load = store.load
        self.save = store.save
        self.close = store.close

    def report(self, ref: str) -> list[ReportRow]:
        """Return the invite's RSVP report rows (the reading door streams them), by address."""
        return list(self.doors.reading.report(ref))

    def __getattr__(self, name: str) -> Any:
        # recorder, repository, snapshots, mapper…: the event store's own.
        return getattr(self.store, name)

    @property
    def registry(self) -> OrganizerRegistry:
        """The organizer registry (the admin door's)."""
        return self.doors.admin.organizers

    @property
    def outbound(self) -> OutboundSettings:
        """How the server sends: domain, addresses, secret."""
        settings: OutboundSettings = self.container.sending_settings()
        return settings

    @property
    def blobs(self) -> BlobStore:
        """Where raw mail is kept."""
        blobs: BlobStore = self.container.blobs()
        return blobs

    @property
    def parser(self) -> MessageParser:
        """What reads raw mail."""
        parser: MessageParser = self.container.parser()
        return parser


def driver(container: Container) -> Driver:
    """Return the driver of ``container``'s application."""
    return Driver(container)
