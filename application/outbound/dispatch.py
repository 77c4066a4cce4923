"""How sending work is done: at once in this process, or queued for workers (SQS on AWS).

Either way each recipient is served a version at most once, so doing a piece of work twice
(a redelivered job, a retried fan-out) is harmless.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from application.inbound.followups import AcceptedList
from application.outbound.notices import Notifier
from application.outbound.sender import Sender
from application.ports import Job, WorkQueue
from application.send_types import Progress, SendResult, SendTally
from domain.invite import Invite

# Recipients of a bulk list per queued job: a few minutes of sending at SES's usual rates.
BULK_PART = 500


class Dispatch(ABC):
    """Sends an invite's current version to everyone, an approved update, or a whole list."""

    @abstractmethod
    def fan_out(self, invite: Invite, now: datetime) -> None:
        """Send the current version to everyone who received the invite."""

    @abstractmethod
    def resume(self, invite: Invite, now: datetime) -> None:
        """Fan out again a change whose fan-out may have been cut short."""

    @abstractmethod
    def approve(
        self, invite: Invite, now: datetime, progress: Progress | None = None
    ) -> list[SendResult]:
        """Release a held update and send it; return what was sent here (nothing if queued)."""

    @abstractmethod
    def bulk(self, accepted: AcceptedList, now: datetime) -> None:
        """Send an accepted recipient list the invite."""


class AtOnce(Dispatch):
    """Does the sending in this process, before the call returns (the embedded server)."""

    def __init__(self, sender: Sender, notifier: Notifier) -> None:
        self.sender = sender
        self.notifier = notifier

    def fan_out(self, invite: Invite, now: datetime) -> None:
        """Catch everyone up now; tell the organizer if a limit cut it."""
        results = self.sender.catch_up(invite, now)
        self.notifier.sent(invite, results, (), now, summary=False)

    def resume(self, invite: Invite, now: datetime) -> None:
        """Nothing to resume: a fan-out cut short here is finished by the next retry."""

    def approve(
        self, invite: Invite, now: datetime, progress: Progress | None = None
    ) -> list[SendResult]:
        """Release and send now."""
        return self.sender.approve(invite, now, progress)

    def bulk(self, accepted: AcceptedList, now: datetime) -> None:
        """Send the whole list now; tell the organizer the counts and the unusable rows."""
        results = self.sender.send(accepted.invite, accepted.recipients, now)
        tally = SendTally.of(results)
        self.sender.finish_bulk(accepted.invite, tally, len(accepted.invalid), now)
        self.notifier.sent(accepted.invite, tally, accepted.invalid, now, summary=True)


class Queued(Dispatch):
    """Queues the sending as jobs for workers, so no caller waits on a big audience."""

    def __init__(self, sender: Sender, queue: WorkQueue, part: int = BULK_PART) -> None:
        self.sender = sender
        self.queue = queue
        self.part = max(1, part)

    def fan_out(self, invite: Invite, now: datetime) -> None:
        """Queue one catch-up job per roster page of the invite's current version."""
        pages = self.sender.publish(invite, now)
        self.queue.put([Job("catch-up", invite.id, page=page) for page in range(pages)])

    def resume(self, invite: Invite, now: datetime) -> None:
        """Queue the jobs again: the change may have been saved before they were queued."""
        self.fan_out(invite, now)

    def approve(
        self, invite: Invite, now: datetime, progress: Progress | None = None
    ) -> list[SendResult]:
        """Release, then queue the sending; nothing is sent here."""
        if self.sender.release(invite, now):
            self.fan_out(invite, now)
        return []

    def bulk(self, accepted: AcceptedList, now: datetime) -> None:
        """Queue the list in parts of ``part`` recipients, each read again from the kept mail."""
        size = self.part
        parts = max(1, -(-len(accepted.recipients) // size))
        self.queue.put(
            [
                Job(
                    "bulk",
                    accepted.invite.id,
                    message=accepted.digest,
                    first=first,
                    count=size,
                    part=part,
                    parts=parts,
                )
                for part, first in enumerate(range(0, parts * size, size), start=1)
            ]
        )
