"""Null objects: what a port does where nothing is wired, so use cases never ask "is there one?".

Each does the one honest thing its absence means: nothing verified, nobody told, nothing
announced, no list readable.
"""

from __future__ import annotations

from datetime import datetime

from application.ports import (
    Announcement,
    Announcer,
    Notice,
    NoticeSender,
    RecipientListReader,
    RecipientRow,
    SenderVerifier,
    UnreadableListError,
)
from domain.authentication import SenderAuthentication


class NoVerifier(SenderVerifier):
    """Verifies nobody: every sender is unchecked (policy ``off`` is then the only one that
    accepts organizers' mail)."""

    def verify(
        self,
        raw: bytes,
        *,
        envelope_from: str | None,
        client_ip: str | None = None,
        helo: str | None = None,
    ) -> SenderAuthentication:
        """Return the verdict of no verification at all."""
        return SenderAuthentication.unchecked("no verifier is configured")


class NoNotices(NoticeSender):
    """Tells organizers nothing (``CIS_NOTIFY_ORGANIZERS=false``)."""

    def send(self, notice: Notice, *, now: datetime) -> str:
        """Send nothing; say so."""
        return "not sent: organizer notices are off"


class NoAnnouncer(Announcer):
    """Publishes nowhere (the memory backend has no one to tell)."""

    def publish(self, announcement: Announcement) -> None:
        """Publish nothing."""


class NoLists(RecipientListReader):
    """Reads no recipient list: bulk sends are not set up."""

    def read(self, data: bytes) -> list[RecipientRow]:
        """Refuse every list."""
        raise UnreadableListError("recipient lists are not set up")
