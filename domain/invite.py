"""The invite aggregate: one organizer's event, keyed by organizer and UID."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.changes import changed_fields, overlay
from domain.identity import invite_id
from domain.messages import ItipMessage
from domain.occurrence import Occurrence
from domain.outcomes import Outcome, Verdict
from domain.proposals import proposal_key
from domain.revision import Revision
from domain.values import MASTER, Component, EventDetails, Method


class Invite(Aggregate):
    """An organizer's event as the organizer's messages describe it (RFC 5546 iTIP).

    Each RECURRENCE-ID (the master under ``MASTER``) keeps its own winning version, so
    overrides merge instead of replacing the event, and any delivery order converges.
    """

    # Refusals kept on the stream per day: anyone who knows the UID can send a forgery, and
    # the organizer's history must show attempts without growing without bound. Class
    # defaults, so records and snapshots older than them read as none.
    MAX_REFUSALS_PER_DAY = 20
    refusals_day: str = ""
    refusals_today: int = 0

    @staticmethod
    def create_id(organizer: str, uid: str, **_: Any) -> UUID:
        """Return the id derived from the natural key (docs/architecture.md, Identity)."""
        return invite_id(organizer, uid)

    @event("Created")
    def __init__(
        self, organizer: str, organizer_name: str | None, uid: str, timestamp: datetime
    ) -> None:
        self.organizer = organizer
        self.organizer_name = organizer_name
        self.uid = uid
        self.occurrences: dict[str, Occurrence] = {}
        # The newest REQUEST per RECURRENCE-ID, even one older than a cancellation: a
        # cancellation shows its details where the CANCEL is silent, whatever the order.
        self.announced: dict[str, Occurrence] = {}
        self.update_count = 0
        self.counter_count = 0
        # Digests of recorded proposals: the same one in another email is a duplicate.
        self.proposals: list[str] = []

    # -- reading -------------------------------------------------------------------------

    @property
    def master(self) -> Occurrence | None:
        """Return the master occurrence, if any message has described it yet."""
        return self.occurrences.get(MASTER)

    @property
    def sequence(self) -> int:
        """Return the SEQUENCE replies to the organizer's invite must reach to count.

        That is the master's current version (a REQUEST, or the CANCEL of the whole event).
        Without a master, it is the newest REQUEST of any instance: a CANCEL of one instance
        withdraws that instance and changes nothing the other instances' answers said yes
        or no to (RFC 5546 section 2.1.4), so it does not reset them.
        """
        master = self.master
        if master is not None:
            return master.revision.sequence
        return max((o.revision.sequence for o in self.announced.values()), default=0)

    @property
    def last_changed(self) -> datetime | None:
        """Return the DTSTAMP of the newest version in force (master or any instance)."""
        stamps = [o.revision.dtstamp for o in self.occurrences.values()]
        return max(stamps) if stamps else None

    @property
    def is_cancelled(self) -> bool:
        """Return whether the whole event is cancelled."""
        return self.master is not None and self.master.cancelled

    # -- deciding ------------------------------------------------------------------------

    def receive(self, message: ItipMessage, now: datetime) -> Verdict:
        """Apply an organizer's REQUEST or CANCEL and say what it did.

        One accepted message is one update, however many instances it carries; the very
        first message of an invite is its creation, not an update.
        """
        count = self.update_count + 1 if self.occurrences else self.update_count
        master_first = sorted(message.components, key=lambda c: c.recurrence_id is not None)
        verdicts = [self._receive_component(message.method, c, count, now) for c in master_first]
        for wanted in (Outcome.CANCELLED, Outcome.UPDATED):
            if wanted in verdicts:
                return Verdict(wanted)
        if all(v is Outcome.DUPLICATE for v in verdicts):
            return Verdict(Outcome.DUPLICATE, "this version is already recorded")
        return Verdict(Outcome.STALE, self._stale_reason())

    def _receive_component(
        self, method: Method, component: Component, count: int, now: datetime
    ) -> Outcome:
        # A DTSTAMP ahead of the arrival (beyond CLOCK_SKEW) is ordered as the arrival.
        revision = Revision.of(method, component, now)
        key = component.key
        current = self.occurrences.get(key)
        if current is not None and revision.same_version(current.revision):
            return Outcome.DUPLICATE
        if current is not None and revision < current.revision:
            if current.cancelled and not revision.is_cancel:
                self._keep_late_version(key, revision, component.details, now)
            return Outcome.STALE
        known = current.details if current else None
        if method is Method.CANCEL:
            basis = self.announced.get(key)
            details = overlay(basis.details if basis else None, component.details)
            if key == MASTER:
                self._cancel(
                    revision=revision, details=details, said=component.details, timestamp=now
                )
            else:
                self._cancel_instance(
                    recurrence_id=key,
                    revision=revision,
                    details=details,
                    said=component.details,
                    timestamp=now,
                )
            return Outcome.CANCELLED
        baseline = known or (self.master.details if self.master else None)
        changed = changed_fields(baseline, component.details)
        if current is not None and current.cancelled:
            changed = tuple(sorted({*changed, "status"}))
        if key != MASTER:
            self._override(
                recurrence_id=key,
                revision=revision,
                details=component.details,
                changed_fields=changed,
                update_count=count,
                timestamp=now,
            )
        elif current is None and not self.occurrences:
            self._schedule(revision=revision, details=component.details, timestamp=now)
        else:
            self._update(
                revision=revision,
                details=component.details,
                changed_fields=changed,
                update_count=count,
                timestamp=now,
            )
        return Outcome.UPDATED

    def _keep_late_version(
        self, key: str, revision: Revision, details: EventDetails, now: datetime
    ) -> None:
        """Keep a REQUEST that lost to a cancellation if it is the newest REQUEST seen.

        It stays stale (the event remains cancelled), but the cancelled event shows its
        details where the CANCEL is silent, exactly as if it had arrived in order.
        """
        basis = self.announced.get(key)
        if basis is None or basis.revision < revision:
            self._fill_in(recurrence_id=key, revision=revision, details=details, timestamp=now)

    def _stale_reason(self) -> str:
        master = self.master
        if master is None:
            return "an equal or newer version of this event is already recorded"
        current = master.revision
        return (
            f"older than the recorded version (SEQUENCE {current.sequence}, "
            f"DTSTAMP {current.dtstamp.isoformat()}); the invite is unchanged"
        )

    def propose_counter(
        self,
        attendee: str,
        recurrence_id: str | None,
        proposal: EventDetails,
        comment: str | None,
        dtstamp: datetime | None,
        now: datetime,
    ) -> Verdict:
        """Record an attendee's COUNTER proposal; it never changes the event by itself."""
        key = proposal_key("COUNTER", attendee, recurrence_id, dtstamp, proposal.digest(), comment)
        if key in self.proposals:
            return Verdict(Outcome.DUPLICATE, "this counter proposal is already recorded")
        self._counter(
            attendee=attendee,
            recurrence_id=recurrence_id,
            proposal=proposal,
            comment=comment,
            dtstamp=dtstamp,
            timestamp=now,
        )
        return Verdict(Outcome.COUNTER)

    def request_refresh(self, attendee: str, dtstamp: datetime | None, now: datetime) -> Verdict:
        """Record an attendee's REFRESH: a request for the current version."""
        key = proposal_key("REFRESH", attendee, None, dtstamp, "", None)
        if key in self.proposals:
            return Verdict(Outcome.DUPLICATE, "this refresh request is already recorded")
        self._refresh(attendee=attendee, dtstamp=dtstamp, timestamp=now)
        return Verdict(Outcome.COUNTER)

    # -- facts ---------------------------------------------------------------------------

    @event("Scheduled")
    def _schedule(self, revision: Revision, details: EventDetails, timestamp: datetime) -> None:
        self.occurrences[MASTER] = Occurrence(revision, details, cancelled=False)
        self.announced[MASTER] = self.occurrences[MASTER]

    @event("Updated")
    def _update(
        self,
        revision: Revision,
        details: EventDetails,
        changed_fields: tuple[str, ...],
        update_count: int,
        timestamp: datetime,
    ) -> None:
        self.occurrences[MASTER] = Occurrence(revision, details, cancelled=False)
        self.announced[MASTER] = self.occurrences[MASTER]
        self.update_count = update_count

    @event("Cancelled")
    def _cancel(
        self, revision: Revision, details: EventDetails, said: EventDetails, timestamp: datetime
    ) -> None:
        self.occurrences[MASTER] = Occurrence(revision, details, cancelled=True, said=said)

    @event("InstanceOverridden")
    def _override(
        self,
        recurrence_id: str,
        revision: Revision,
        details: EventDetails,
        changed_fields: tuple[str, ...],
        update_count: int,
        timestamp: datetime,
    ) -> None:
        self.update_count = update_count
        self.occurrences[recurrence_id] = Occurrence(revision, details, cancelled=False)
        self.announced[recurrence_id] = self.occurrences[recurrence_id]

    @event("InstanceCancelled")
    def _cancel_instance(
        self,
        recurrence_id: str,
        revision: Revision,
        details: EventDetails,
        said: EventDetails,
        timestamp: datetime,
    ) -> None:
        self.occurrences[recurrence_id] = Occurrence(revision, details, cancelled=True, said=said)

    @event("LateVersionRecorded")
    def _fill_in(
        self, recurrence_id: str, revision: Revision, details: EventDetails, timestamp: datetime
    ) -> None:
        self.announced[recurrence_id] = Occurrence(revision, details, cancelled=False)
        cancelled = self.occurrences[recurrence_id]
        shown = overlay(details, cancelled.said or cancelled.details)
        self.occurrences[recurrence_id] = replace(cancelled, details=shown)

    @event("CounterProposed")
    def _counter(
        self,
        attendee: str,
        recurrence_id: str | None,
        proposal: EventDetails,
        comment: str | None,
        dtstamp: datetime | None,
        timestamp: datetime,
    ) -> None:
        self.counter_count += 1
        key = proposal_key("COUNTER", attendee, recurrence_id, dtstamp, proposal.digest(), comment)
        self.proposals.append(key)

    def note_sender(
        self,
        message: str,
        outcome: str,
        vouched_by: str | None,
        authentication: dict[str, Any] | None,
        reason: str | None,
        now: datetime,
    ) -> None:
        """Record who vouched for an organizer message about this invite, or why it was
        refused (at most :attr:`MAX_REFUSALS_PER_DAY` refusals a day)."""
        refused = outcome == Outcome.REJECTED.value
        today = now.date().isoformat()
        full = today == self.refusals_day and self.refusals_today >= self.MAX_REFUSALS_PER_DAY
        if refused and full:
            return
        self._sender_noted(
            message=message,
            outcome=outcome,
            vouched_by=vouched_by,
            authentication=authentication,
            reason=reason if refused else None,
            timestamp=now,
        )

    @event("SenderNoted")
    def _sender_noted(
        self,
        message: str,
        outcome: str,
        vouched_by: str | None,
        authentication: dict[str, Any] | None,
        reason: str | None,
        timestamp: datetime,
    ) -> None:
        if outcome != Outcome.REJECTED.value:
            return
        today = timestamp.date().isoformat()
        self.refusals_today = self.refusals_today + 1 if today == self.refusals_day else 1
        self.refusals_day = today

    @event("RefreshRequested")
    def _refresh(self, attendee: str, dtstamp: datetime | None, timestamp: datetime) -> None:
        self.proposals.append(proposal_key("REFRESH", attendee, None, dtstamp, "", None))
