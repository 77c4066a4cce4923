"""The server's versions of one invite: what it published, under which SEQUENCE."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import NAMESPACE


def distribution_id(invite: UUID) -> UUID:
    """Return the id of an invite's distribution stream."""
    return uuid5(NAMESPACE, "distribution\n" + invite.hex)


class Distribution(Aggregate):
    """Versions the server sent for one invite.

    The server's SEQUENCE rises with every version it publishes (so every version has its own
    Message-IDs), and it remembers the SEQUENCE of the last significant change (time,
    recurrence, location, status): replies to older versions no longer count.
    """

    # The invite's own version (its stream's) whose state was published last: while a change
    # is held for review, downloads and feeds show that state, not the held one. None for a
    # version published before this was recorded (a class default, so older snapshots load).
    published_invite_version: int | None = None

    @staticmethod
    def create_id(invite: UUID, **_: Any) -> UUID:
        """Return the id derived from the invite id."""
        return distribution_id(invite)

    @event("Opened")
    def __init__(self, invite: UUID, timestamp: datetime) -> None:
        self.invite = invite
        self.sequence = -1
        self.method: str | None = None
        self.fingerprint: str | None = None
        self.significant_fingerprint: str | None = None
        self.significant_from = 0
        self.pages = 1
        self.held = False
        self.rest_fingerprint: str | None = None
        self.cancelled_instances: list[str] = []
        # Set when the current version only cancelled this instance: holders of an earlier
        # version get a METHOD:CANCEL for it, newcomers the whole current state.
        self.cancelled_instance: str | None = None

    @event("UpdateHeld")
    def hold(self, timestamp: datetime) -> None:
        """Hold the organizer's latest change for review: nothing goes out until approved."""
        self.held = True

    @event("UpdateApproved")
    def approve(self, timestamp: datetime) -> None:
        """Release the held change: it goes out to everyone."""
        self.held = False

    @event("BulkSendFinished")
    def finish_bulk(
        self, counts: dict[str, int], invalid: int, part: int, parts: int, timestamp: datetime
    ) -> None:
        """Note that a bulk send (or one ``part`` of ``parts`` of a queued one) is done, with
        how many recipients ended each way and how many rows were unusable: no state, a fact
        for the organizer's integrations (the ``bulk.finished`` webhook)."""

    @event("RosterPageOpened")
    def open_page(self, timestamp: datetime) -> None:
        """Start another roster page: the previous one is full."""
        self.pages += 1

    def publish(
        self,
        method: str,
        fingerprint: str,
        significant_fingerprint: str,
        now: datetime,
        *,
        rest_fingerprint: str | None = None,
        cancelled_instances: list[str] | None = None,
        invite_version: int | None = None,
    ) -> int:
        """Return the SEQUENCE of this state, publishing it as a new version if it changed.

        ``invite_version`` is the version of the invite's stream this state is of.
        """
        if fingerprint != self.fingerprint or method != self.method:
            cancelled = cancelled_instances or []
            newly = sorted(set(cancelled) - set(self.cancelled_instances))
            only_cancels = (
                self.sequence >= 0
                and method == self.method
                and rest_fingerprint is not None
                and rest_fingerprint == self.rest_fingerprint
                and len(newly) == 1
            )
            # A version that only cancels instances (all else as before) changes nothing the
            # other answers said yes or no to: it is no significant change.
            cancels_only = (
                self.sequence >= 0
                and method == self.method
                and rest_fingerprint is not None
                and rest_fingerprint == self.rest_fingerprint
            )
            self._publish(
                sequence=self.sequence + 1,
                method=method,
                fingerprint=fingerprint,
                significant=(
                    significant_fingerprint != self.significant_fingerprint and not cancels_only
                ),
                significant_fingerprint=significant_fingerprint,
                rest_fingerprint=rest_fingerprint,
                cancelled_instances=cancelled,
                cancelled_instance=newly[0] if only_cancels else None,
                invite_version=invite_version,
                timestamp=now,
            )
        return self.sequence

    @event("VersionPublished")
    def _publish(
        self,
        sequence: int,
        method: str,
        fingerprint: str,
        significant: bool,
        significant_fingerprint: str,
        timestamp: datetime,
        rest_fingerprint: str | None = None,
        cancelled_instances: list[str] | None = None,
        cancelled_instance: str | None = None,
        invite_version: int | None = None,
    ) -> None:
        self.published_invite_version = invite_version
        self.rest_fingerprint = rest_fingerprint
        self.cancelled_instances = list(cancelled_instances or [])
        self.cancelled_instance = cancelled_instance
        self.sequence = sequence
        self.method = method
        self.fingerprint = fingerprint
        self.significant_fingerprint = significant_fingerprint
        # Cancelling instances withdraws them and leaves every other answer standing (RFC 5546
        # section 2.1.4). Versions recorded before publish() said so are read the same way.
        if significant and cancelled_instance is None:
            self.significant_from = sequence
