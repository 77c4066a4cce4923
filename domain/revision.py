"""iTIP ordering: which of two versions of the same event (or instance) is newer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.values import Component, Method

# A message without DTSTAMP sorts before any message that has one.
NO_DTSTAMP = datetime(1, 1, 1, tzinfo=UTC)

# Clocks disagree by a little; a DTSTAMP further ahead of its arrival than this is no clock
# error but a claim to outrank every later message, and is ordered as its arrival instead.
CLOCK_SKEW = timedelta(minutes=5)

# At equal SEQUENCE and DTSTAMP a CANCEL beats a REQUEST: real clients often cancel
# without raising SEQUENCE, and the cancellation is the organizer's last word.
_RANK = {Method.REQUEST: 0, Method.ADD: 0, Method.CANCEL: 1}


@dataclass(frozen=True, order=True)
class Revision:
    """The position of one version in the total order RFC 5546 implies, plus a tie-break.

    Ordered by SEQUENCE, then DTSTAMP, then CANCEL over REQUEST, then the content digest.
    The digest only decides between two different versions that claim the same SEQUENCE and
    DTSTAMP; it makes the order total, so every delivery order picks the same winner.

    ``dtstamp`` is the stamp the version is ordered by. A DTSTAMP later than the message's
    arrival plus :data:`CLOCK_SKEW` (a client with a wrong clock) is ordered as the arrival,
    so it cannot outrank the organizer's later messages at the same SEQUENCE; the DTSTAMP as
    sent is kept in ``sent_dtstamp`` (None when the version was ordered by its own DTSTAMP,
    as in every revision recorded before this rule).
    """

    sequence: int
    dtstamp: datetime
    rank: int
    digest: str
    sent_dtstamp: datetime | None = field(default=None, compare=False)

    @classmethod
    def of(cls, method: Method, component: Component, now: datetime | None = None) -> Revision:
        """Return the revision of one component of an organizer's message arriving at ``now``."""
        stamp = component.dtstamp or NO_DTSTAMP
        sent: datetime | None = None
        if now is not None and stamp > now + CLOCK_SKEW:
            stamp, sent = now, stamp
        return cls(
            sequence=component.sequence,
            dtstamp=stamp,
            rank=_RANK.get(method, 0),
            digest=component.details.digest(),
            sent_dtstamp=sent,
        )

    @property
    def stamped(self) -> datetime:
        """Return the DTSTAMP as the organizer's client sent it."""
        return self.sent_dtstamp or self.dtstamp

    @property
    def ordered_as_arrival(self) -> bool:
        """Return whether the version is ordered as its arrival, its DTSTAMP being ahead."""
        return self.sent_dtstamp is not None

    def same_version(self, other: Revision) -> bool:
        """Return whether both are the same message's version, wherever each was ordered.

        The same version delivered again later (in another email) may be ordered as another
        arrival; it is still the same version, a duplicate.
        """
        return (self.sequence, self.stamped, self.rank, self.digest) == (
            other.sequence,
            other.stamped,
            other.rank,
            other.digest,
        )

    @property
    def is_cancel(self) -> bool:
        """Return whether this version cancels."""
        return self.rank == _RANK[Method.CANCEL]

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-friendly dict (the clamping fields only when the DTSTAMP was ahead)."""
        data: dict[str, object] = {
            "sequence": self.sequence,
            "dtstamp": self.dtstamp.isoformat(),
            "rank": self.rank,
            "digest": self.digest,
        }
        if self.sent_dtstamp is not None:
            data["sent_dtstamp"] = self.sent_dtstamp.isoformat()
            data["note"] = (
                "DTSTAMP as sent is later than the arrival plus the allowed clock skew; "
                "ordered as its arrival"
            )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Revision:
        """Rebuild from :meth:`as_dict` output (older records have no ``sent_dtstamp``)."""
        sent = data.get("sent_dtstamp")
        return cls(
            sequence=int(str(data["sequence"])),
            dtstamp=datetime.fromisoformat(str(data["dtstamp"])),
            rank=int(str(data["rank"])),
            digest=str(data["digest"]),
            sent_dtstamp=datetime.fromisoformat(str(sent)) if sent else None,
        )
