"""Which invites a retry round must look at: those with news since the last round.

A retry round used to catch up every invite ever sent, so an idle server's cost grew with its
history. Pending work only ever appears with an event: a send intended and not completed, a
new version published, a recipient added, a notice kept. So a round reads the event log from
where the last one stopped (a log query, cost proportional to what happened meanwhile), and
catches up only the invites those events belong to, plus the invites whose sends the last
round left pending (the mailer failing, another worker's claim). Events that can make work
sendable for many invites at once (an organizer reinstated, a suppression lifted) and any event
this module does not know make the round look at everything, as does the first round of a
process and one round every :attr:`PendingSends.full_every`, a safety net that bounds what a
mistake here could ever cost to that interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.send_types import SendOutcome, SendResult
from application.store import InviteStore
from domain.attendance import Attendance
from domain.delivery import Delivery
from domain.distribution import Distribution
from domain.roster import RosterPage

# Streams whose events belong to one invite, found through the stream's ``invite``.
_OF_AN_INVITE: dict[str, type[Any]] = {
    "Delivery": Delivery,
    "Distribution": Distribution,
    "RosterPage": RosterPage,
    "Attendance": Attendance,
}
# Streams whose events never make a send due (receipts, indexes, sign-in, keys, landings).
_NEVER_DUE = frozenset(
    {
        "InboundMessage",
        "UidIndex",
        "LandingClaim",
        "SignInUse",
        "WebSession",
        "ApiKey",
        "KeyRing",
        "SenderDomain",
        # Webhooks are delivered by rounds of their own (application/webhooks).
        "WebhookEndpoint",
        "WebhookIndex",
        "WebhookLogPage",
        "WebhookMessage",
    }
)
# Events that can only keep mail from going out, or that make no send due (an organizer's
# invite counted, a private address issued): every other event of these streams (a
# suspension lifted, a limit raised, a suppression or block lifted) makes a round look at
# everything.
_NOTHING_NEW = frozenset(
    {
        ("Organizer", "Registered"),
        ("Organizer", "InviteCounted"),
        ("Organizer", "Suspended"),
        ("Organizer", "PrivateAddressIssued"),
        ("Organizer", "PrivateAddressRevoked"),
        ("Organizer", "LandingOriginsSet"),
        ("Suppression", "Started"),
        ("Suppression", "Suppressed"),
        ("RecipientBlock", "Blocked"),
        ("RecipientBlock", "Reblocked"),
    }
)
# Left pending by a round: looked at again by the next.
_UNSETTLED = frozenset({SendOutcome.QUEUED, SendOutcome.CLAIMED_ELSEWHERE})
_PAGE = 1000
_STREAMS_KEPT = 100_000


@dataclass
class Due:
    """What one round catches up: ``invites`` (None: every invite), and whether the kept
    organizer notices are retried."""

    invites: list[UUID] | None
    notices: bool


@dataclass
class PendingSends:
    """The retry rounds' memory of where the log was and what was left pending."""

    store: InviteStore
    full_every: timedelta = timedelta(hours=6)
    position: int | None = None
    last_full: datetime | None = None
    unsettled: set[UUID] = field(default_factory=set)
    notices_unsettled: bool = True
    # What the latest round looked at (for logs and tests).
    last: Due | None = None
    _invite_of: dict[UUID, UUID | None] = field(default_factory=dict)

    def due(self, now: datetime) -> Due:
        """Return what this round must catch up, and move past what the log holds now."""
        self.last = self._due(now)
        return self.last

    def _due(self, now: datetime) -> Due:
        last = self.store.recorder.max_notification_id() or 0
        start, self.position = self.position, last
        if start is None or self.last_full is None or now - self.last_full >= self.full_every:
            self.last_full = now
            return Due(None, notices=True)
        invites, notices, everything = self._news(start + 1, last)
        if everything:
            self.last_full = now
            return Due(None, notices=True)
        return Due(sorted(invites | self.unsettled), notices or self.notices_unsettled)

    def settled(self, sends: Iterable[SendResult], notices: Iterable[SendResult]) -> None:
        """Remember what this round left pending, for the next."""
        self.unsettled = {r.invite for r in sends if r.outcome in _UNSETTLED and r.invite}
        self.notices_unsettled = any(r.outcome in _UNSETTLED for r in notices)

    def _news(self, start: int, stop: int) -> tuple[set[UUID], bool, bool]:
        """Return the invites with events in ``start..stop``, whether a kept notice changed,
        and whether the round must look at everything."""
        invites: set[UUID] = set()
        notices = False
        while start <= stop:
            batch = self.store.recorder.select_notifications(start, _PAGE, stop=stop)
            for notification in batch:
                kind, _, name = notification.topic.partition(":")[2].partition(".")
                stream = notification.originator_id
                stream = stream if isinstance(stream, UUID) else UUID(str(stream))
                if kind == "Invite":
                    invites.add(stream)
                elif kind == "DeferredNotice":
                    notices = True
                elif kind in _OF_AN_INVITE:
                    invite = self._invite(kind, stream)
                    if invite is not None:
                        invites.add(invite)
                elif kind not in _NEVER_DUE and (kind, name) not in _NOTHING_NEW:
                    return invites, notices, True
            if len(batch) < _PAGE:
                break
            start = batch[-1].id + 1
        return invites, notices, False

    def _invite(self, kind: str, stream: UUID) -> UUID | None:
        if stream not in self._invite_of:
            if len(self._invite_of) >= _STREAMS_KEPT:
                self._invite_of.clear()
            found = self.store.load(_OF_AN_INVITE[kind], stream)
            self._invite_of[stream] = getattr(found, "invite", None)
        return self._invite_of[stream]
