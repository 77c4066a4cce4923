"""Use cases: the suppression list (who must not be mailed, by whom) and unsubscribing.

Every send path asks :func:`suppressed_for` before a recipient's intent is recorded
(application/outbound/sender.py), so a suppressed address is never handed to the mailer
once its suppression is saved. Who adds to the list: the recipient (an unsubscribe link or
mail: that organizer, or every organizer from the page's "all" button), the mail provider
(a complaint, a permanent bounce: server-wide, see :func:`suppress_for_notice`) and
administrators (any scope). Cancellations are the one exception: they still reach a holder who
accepted (or tentatively accepted) the event unless that person unsubscribed from everyone,
so nobody goes to a meeting that no longer takes place (:func:`cancellation_reaches`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import RecordConflictError
from eventsourcing.utils import get_topic

from application.privacy.keys import is_placeholder
from application.send_types import Save
from application.store import InviteStore
from application.stores import Loader
from domain.attendance import Attendance
from domain.delivery import Delivery, delivery_id
from domain.identity import attendance_id, normalize_address
from domain.invite import Invite
from domain.suppressions import ALL, Suppression, SuppressionReason, scope_of, suppression_id
from domain.unsubscribe_links import locator_of, unsubscribe_matches
from domain.web_links import InvalidLinkError

__all__ = [
    "ALL",
    "InvalidLinkError",
    "SuppressionCounts",
    "SuppressionReason",
    "SuppressionView",
    "Suppressions",
    "UnsubscribeQuestion",
    "Unsubscribed",
]

# The origins of an organizer's own one-at-a-time sends (the API's and the web app's send
# to one address): their mail carries no List-Unsubscribe. Every other origin (bulk,
# landing, campaign, vip…) is mail from a list and carries it.
PERSONAL_ORIGINS = frozenset({"api", "web"})
# A holder who said this still gets a cancellation unless suppressed server-wide.
_GOING = frozenset({"ACCEPTED", "TENTATIVE"})
_ATTEMPTS = 5
# Why nothing goes to a person erased at their request (the keys' tombstone, not a record).
ERASED = "erased"


@dataclass(frozen=True)
class SuppressionView:
    """One suppression: the address, its scope (an organizer, or ``all``), why, since when."""

    address: str
    scope: str
    reason: str
    since: datetime

    def as_dict(self) -> dict[str, str]:
        """Return the CLI's and the API's JSON shape."""
        return {
            "address": self.address,
            "scope": self.scope,
            "reason": self.reason,
            "since": self.since.isoformat(),
        }


@dataclass(frozen=True)
class SuppressionCounts:
    """How many addresses are suppressed for one organizer and server-wide, by reason: what
    an organizer may know (never who unsubscribed from everyone)."""

    organizer: str
    own: dict[str, int]
    everywhere: dict[str, int]


@dataclass(frozen=True)
class UnsubscribeQuestion:
    """What an unsubscribe link would do, asked before anything is recorded: the organizer
    it unsubscribes from, and whether that (or everything) is already done."""

    organizer: str
    already: bool
    everywhere: bool


@dataclass(frozen=True)
class Unsubscribed:
    """What became of an unsubscribe: its scope, and whether it was already so."""

    organizer: str
    scope: str
    changed: bool


def suppressed_for(load: Loader, address: str, organizer: str) -> tuple[str, str] | None:
    """Return (scope, reason) of what keeps ``organizer``'s mail from ``address``, or None."""
    record = load(Suppression, suppression_id(address))
    found = record.covering(organizer) if record is not None else None
    return (found[0], found[1]) if found is not None else None


def cancellation_reaches(load: Loader, invite: UUID, address: str, scope: str) -> bool:
    """Return whether a cancellation still goes to a suppressed holder: only when they
    accepted (or might attend) and did not unsubscribe from everyone."""
    if scope == ALL:
        return False
    attendance = load(Attendance, attendance_id(invite, address))
    replies = attendance.replies.values() if attendance is not None else ()
    return any(reply.partstat in _GOING for reply in replies)


def suppress_record(
    load: Loader, address: str, organizer: str | None, reason: SuppressionReason, now: datetime
) -> Suppression | None:
    """Return the address's record with the suppression added, or None if nothing changed."""
    record = load(Suppression, suppression_id(address))
    record = record or Suppression(address=normalize_address(address), timestamp=now)
    changed = record.add(scope_of(organizer), reason, now)
    return record if changed else None


def suppress_for_notice(
    load: Loader, address: str, complaint: bool, now: datetime
) -> Suppression | None:
    """Return the record suppressing ``address`` server-wide for a provider's report, or
    None if it already was for that reason.

    Both are server-wide: a complaint says "this is spam" to the mailbox provider, whose
    verdict hurts every organizer's mail alike (and a person who complains rarely wants
    another organizer's bulk mail either); a permanent bounce says the mailbox does not
    exist, for anyone.
    """
    reason = SuppressionReason.COMPLAINT if complaint else SuppressionReason.HARD_BOUNCE
    return suppress_record(load, address, None, reason, now)


class Suppressions:
    """The suppression list's use cases: add, lift, ask, list, count; and unsubscribe links."""

    def __init__(self, store: InviteStore, secret: bytes) -> None:
        self.store = store
        self.load: Loader = store.load
        self.save: Save = store.save
        self.secret = secret

    def suppress(
        self,
        address: str,
        organizer: str | None,
        reason: SuppressionReason,
        *,
        now: datetime,
    ) -> SuppressionView:
        """Suppress ``address`` for ``organizer`` (None: every organizer); idempotent."""
        for attempt in range(_ATTEMPTS):
            record = suppress_record(self.load, address, organizer, reason, now)
            try:
                if record is not None:
                    self.save(record)
            except RecordConflictError:
                if attempt == _ATTEMPTS - 1:
                    raise
                continue
            break
        view = self._view(address, scope_of(organizer))
        assert view is not None  # just saved
        return view

    def lift(self, address: str, organizer: str | None, *, now: datetime) -> bool:
        """Remove the suppression of ``address`` for ``organizer`` (None: the server-wide
        one); return whether there was one. Other scopes stay as they are."""
        record = self.load(Suppression, suppression_id(address))
        if record is None or not record.remove(scope_of(organizer), now):
            return False
        self.save(record)
        return True

    def is_suppressed(self, address: str, organizer: str) -> str | None:
        """Return why ``organizer``'s invitations do not go to ``address``, or None
        (``erased`` for a person erased at their request: no list holds them any more)."""
        if self.store.keyring.is_erased(address):
            return ERASED
        found = suppressed_for(self.load, address, organizer)
        return found[1] if found is not None else None

    def of(self, address: str) -> list[SuppressionView]:
        """Return every suppression of one address (server-wide first)."""
        record = self.load(Suppression, suppression_id(address))
        return list(_views(record)) if record is not None else []

    def list(self, organizer: str | None = None) -> list[SuppressionView]:
        """Return every suppression in force (only those for ``organizer`` when given, which
        includes the server-wide ones), in the order the addresses were first suppressed.

        It reads the event log's index of suppression records: an administrator's listing.
        """
        wanted = None if organizer is None else {ALL, normalize_address(organizer)}
        return [
            view
            for record in self._records()
            for view in _views(record)
            if wanted is None or view.scope in wanted
        ]

    def counts(self, organizer: str) -> SuppressionCounts:
        """Return how many addresses are suppressed for ``organizer``, and server-wide, by
        reason (what an organizer may see: numbers, never who)."""
        own: Counter[str] = Counter()
        everywhere: Counter[str] = Counter()
        scope = normalize_address(organizer)
        for record in self._records():
            for view in _views(record):
                if view.scope == scope:
                    own[view.reason] += 1
                elif view.scope == ALL:
                    everywhere[view.reason] += 1
        return SuppressionCounts(scope, dict(own), dict(everywhere))

    def question(self, token: str) -> UnsubscribeQuestion:
        """Return what the unsubscribe link ``token`` would do; records nothing.

        Raise InvalidLinkError for a token this server did not issue (or altered).
        """
        address, organizer = self._holder(token)
        if is_placeholder(address):
            return UnsubscribeQuestion(organizer, already=True, everywhere=True)
        record = self.load(Suppression, suppression_id(address))
        everywhere = record is not None and record.entry(ALL) is not None
        already = record is not None and record.covering(organizer) is not None
        return UnsubscribeQuestion(organizer, already, everywhere)

    def unsubscribe(self, token: str, *, everywhere: bool, now: datetime) -> Unsubscribed:
        """Unsubscribe the link's recipient from its organizer (or, with ``everywhere``, from
        every organizer) at once; doing it again changes nothing.

        Raise InvalidLinkError for a token this server did not issue (or altered).
        """
        address, organizer = self._holder(token)
        scope = ALL if everywhere else organizer
        if is_placeholder(address):
            return Unsubscribed(organizer, ALL, changed=False)  # erased: never mailed again
        before = self.load(Suppression, suppression_id(address))
        changed = before is None or before.entry(scope) is None
        if changed:
            self.suppress(
                address, None if everywhere else organizer, SuppressionReason.UNSUBSCRIBED, now=now
            )
        return Unsubscribed(organizer, scope, changed)

    def _holder(self, token: str) -> tuple[str, str]:
        """Return (address, organizer) the token was issued for, or raise InvalidLinkError."""
        locator = locator_of(token)
        delivery = self.load(Delivery, delivery_id(locator))
        invite = self.load(Invite, delivery.invite) if delivery is not None else None
        if delivery is None or invite is None:
            raise InvalidLinkError("this unsubscribe link is not valid: no such invitation here")
        if is_placeholder(delivery.address):
            # Its holder was erased: the address the link was signed for is gone, and so is
            # anything a link could still change (they are mailed by nobody, ever).
            return delivery.address, invite.organizer
        if not unsubscribe_matches(self.secret, token, delivery.address, invite.organizer):
            raise InvalidLinkError(
                "this unsubscribe link is not valid: it was altered or not issued here"
            )
        return delivery.address, invite.organizer

    def _view(self, address: str, scope: str) -> SuppressionView | None:
        record = self.load(Suppression, suppression_id(address))
        entry = record.entry(scope) if record is not None else None
        if record is None or entry is None:
            return None
        return SuppressionView(record.address, scope, entry[0], entry[1])

    def _records(self, page: int = 500) -> Iterator[Suppression]:
        topic = get_topic(Suppression.Started)  # type: ignore[attr-defined]
        start = 1
        while True:
            batch = self.store.recorder.select_notifications(
                start=start, limit=page, topics=[topic]
            )
            for notification in batch:
                originator = notification.originator_id
                ident = originator if isinstance(originator, UUID) else UUID(str(originator))
                record = self.load(Suppression, ident)
                if record is not None:
                    yield record
            if len(batch) < page:
                return
            start = batch[-1].id + 1


def _views(record: Suppression) -> Iterator[SuppressionView]:
    ordered = sorted(record.scopes.items(), key=lambda item: (item[0] != ALL, item[0]))
    for scope, entry in ordered:
        yield SuppressionView(record.address, scope, entry["reason"], entry["since"])
