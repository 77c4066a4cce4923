"""The suppression list: addresses the server must not mail, per organizer or server-wide.

One small stream per recipient address (its id a ``uuid5`` of the normalized address, like
every natural key: domain/identity.py), holding each scope it is suppressed for (an
organizer's address, or :data:`ALL` for every organizer), with the reason and the time, and
each removal. Recorded as events, so the list's history (who unsubscribed when, which
complaint, which bounce) is kept like everything else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import NAMESPACE, normalize_address

# The scope of a server-wide suppression; never an organizer's address (it has no "@").
ALL = "all"


class SuppressionReason(StrEnum):
    """Why an address is suppressed."""

    UNSUBSCRIBED = "unsubscribed"  # the recipient asked (List-Unsubscribe, the web page, mail)
    COMPLAINT = "complaint"  # the recipient reported a message as spam (a feedback loop)
    HARD_BOUNCE = "hard-bounce"  # the mailbox does not exist: a permanent bounce
    ADMIN = "admin"  # an administrator put it there


def suppression_id(address: str) -> UUID:
    """Return the id of one address's suppression record."""
    return uuid5(NAMESPACE, "suppression\n" + normalize_address(address))


def scope_of(organizer: str | None) -> str:
    """Return the scope key of ``organizer`` (None: server-wide)."""
    return ALL if organizer is None else normalize_address(organizer)


class Suppression(Aggregate):
    """Every scope one address is suppressed for, with the reason and since when."""

    @staticmethod
    def create_id(address: str, **_: Any) -> UUID:
        """Return the id derived from the address."""
        return suppression_id(address)

    @event("Started")
    def __init__(self, address: str, timestamp: datetime) -> None:
        self.address = normalize_address(address)
        # scope → {"reason": str, "since": datetime}; plain values, so snapshots need nothing.
        self.scopes: dict[str, dict[str, Any]] = {}

    def entry(self, scope: str) -> tuple[str, datetime] | None:
        """Return (reason, since) of the suppression for ``scope`` exactly, or None."""
        found = self.scopes.get(scope)
        return (found["reason"], found["since"]) if found else None

    def covering(self, organizer: str) -> tuple[str, str, datetime] | None:
        """Return (scope, reason, since) of what suppresses mail from ``organizer``: the
        server-wide entry first, then the organizer's own; None if nothing does."""
        for scope in (ALL, normalize_address(organizer)):
            found = self.entry(scope)
            if found is not None:
                return scope, found[0], found[1]
        return None

    def add(self, scope: str, reason: SuppressionReason, timestamp: datetime) -> bool:
        """Suppress for ``scope``; return whether anything changed (the same reason for the
        same scope again changes nothing; another reason replaces it, newest first)."""
        current = self.scopes.get(scope)
        if current is not None and current["reason"] == reason.value:
            return False
        self._suppressed(scope=scope, reason=reason.value, timestamp=timestamp)
        return True

    def remove(self, scope: str, timestamp: datetime) -> bool:
        """Lift the suppression for ``scope``; return whether there was one."""
        if scope not in self.scopes:
            return False
        self._lifted(scope=scope, timestamp=timestamp)
        return True

    @event("Suppressed")
    def _suppressed(self, scope: str, reason: str, timestamp: datetime) -> None:
        self.scopes[scope] = {"reason": reason, "since": timestamp}

    @event("Lifted")
    def _lifted(self, scope: str, timestamp: datetime) -> None:
        self.scopes.pop(scope, None)
