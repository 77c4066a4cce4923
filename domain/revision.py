"""iTIP ordering: which of two versions of the same event (or instance) is newer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.values import Component, Method

# A message without DTSTAMP sorts before any message that has one.
NO_DTSTAMP = datetime(1, 1, 1, tzinfo=UTC)

# At equal SEQUENCE and DTSTAMP a CANCEL beats a REQUEST: real clients often cancel
# without raising SEQUENCE, and the cancellation is the organizer's last word.
_RANK = {Method.REQUEST: 0, Method.ADD: 0, Method.CANCEL: 1}


@dataclass(frozen=True, order=True)
class Revision:
    """The position of one version in the total order RFC 5546 implies, plus a tie-break.

    Ordered by SEQUENCE, then DTSTAMP, then CANCEL over REQUEST, then the content digest.
    The digest only decides between two different versions that claim the same SEQUENCE and
    DTSTAMP; it makes the order total, so every delivery order picks the same winner.
    """

    sequence: int
    dtstamp: datetime
    rank: int
    digest: str

    @classmethod
    def of(cls, method: Method, component: Component) -> Revision:
        """Return the revision of one component of an organizer's message."""
        return cls(
            sequence=component.sequence,
            dtstamp=component.dtstamp or NO_DTSTAMP,
            rank=_RANK.get(method, 0),
            digest=component.details.digest(),
        )

    @property
    def is_cancel(self) -> bool:
        """Return whether this version cancels."""
        return self.rank == _RANK[Method.CANCEL]

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-friendly dict."""
        return {
            "sequence": self.sequence,
            "dtstamp": self.dtstamp.isoformat(),
            "rank": self.rank,
            "digest": self.digest,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Revision:
        """Rebuild from :meth:`as_dict` output."""
        return cls(
            sequence=int(str(data["sequence"])),
            dtstamp=datetime.fromisoformat(str(data["dtstamp"])),
            rank=int(str(data["rank"])),
            digest=str(data["digest"]),
        )
