"""What follows a committed change: the policy the composition root plugs into ingest.

An update or cancellation reaches everyone who received the invite (or waits for the
organizer's review), the change is announced, and the organizer is told what helps them.
The change is already committed when this runs: nothing here may undo it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from application.admin.registry import OrganizerRegistry
from application.inbound.followups import AcceptedList, Change, Followups
from application.outbound.dispatch import Dispatch
from application.outbound.notices import Notifier
from application.outbound.sender import Sender
from application.ports import Announcement, Announcer
from application.stores import Loader
from domain.indexes import InboundMessage
from domain.invite import Invite
from domain.messages import Unusable
from domain.outcomes import Outcome

# Outcomes after which everyone who received the invite must get the new version.
_CHANGES_EVENT = frozenset({Outcome.UPDATED, Outcome.CANCELLED})
_ANNOUNCED = {
    Outcome.CREATED: "created",
    Outcome.UPDATED: "updated",
    Outcome.CANCELLED: "cancelled",
}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reviews:
    """Whether an organizer's updates wait for their approval: their own choice, else the
    server's default."""

    registry: OrganizerRegistry
    default: bool = False

    def __call__(self, organizer: str) -> bool:
        record = self.registry.find(organizer)
        if record is None or record.review_updates is None:
            return self.default
        return record.review_updates


@dataclass(frozen=True)
class Propagation(Followups):
    """Sends, announces and tells after ingest commits."""

    load: Loader
    sender: Sender
    notifier: Notifier
    announcer: Announcer
    dispatch: Dispatch
    reviews: Reviews

    def committed(self, change: Change) -> None:
        """Propagate an update or cancellation, announce it, and tell whom it concerns."""
        invite, outcome, now = change.invite, change.result.outcome, change.now
        if invite is not None and outcome in _CHANGES_EVENT:
            self._propagate(invite, now)
        if invite is not None and outcome in _ANNOUNCED:
            self._announce(_ANNOUNCED[outcome], invite, now)
        self.notifier.after_ingest(
            change.message, change.result, invite, now, change.verified_sender
        )

    def redelivered(self, seen: InboundMessage, now: datetime) -> None:
        """Fan a change out again when its message comes back.

        A queue delivers a message again when its consumer failed, possibly after the change
        was saved but before its jobs were queued; queueing them again is harmless, since a
        catch-up sends each recipient a version at most once.
        """
        if seen.invite is None or seen.outcome not in _CHANGES_EVENT:
            return
        invite = self.load(Invite, seen.invite)
        if invite is not None and not self.reviews(invite.organizer):
            self.dispatch.resume(invite, now)

    def list_accepted(self, accepted: AcceptedList, now: datetime) -> None:
        """Send the list the invite (at once or queued)."""
        self.dispatch.bulk(accepted, now)

    def reply_forwarded(self, message: Unusable, invite: Invite, now: datetime) -> None:
        """Pass the calendar-less reply on to the organizer."""
        self.notifier.forward_reply(message, invite, now)

    def _propagate(self, invite: Invite, now: datetime) -> None:
        if self.reviews(invite.organizer):
            self.sender.hold_or_send(invite, True, now)
            self.notifier.held(invite, now)
        else:
            self.dispatch.fan_out(invite, now)

    def _announce(self, kind: str, invite: Invite, now: datetime) -> None:
        announcement = Announcement(
            kind, invite.id, invite.organizer, invite.uid, invite.sequence, now
        )
        try:
            self.announcer.publish(announcement)
        except Exception:
            # The change is already committed; failing now would only hide that. The
            # announcement is logged as lost (a stream-fed publisher is the durable answer).
            log.exception("announcement %s of invite %s not published", kind, invite.id)
