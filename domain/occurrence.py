"""The state of the master event or of one instance: its winning version and what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.revision import Revision
from domain.values import EventDetails


@dataclass(frozen=True)
class Occurrence:
    """The winning version of the master event or of one instance, and what it shows."""

    revision: Revision
    details: EventDetails
    cancelled: bool
    # A cancellation's own details, before the newest REQUEST's filled in what it leaves out.
    said: EventDetails | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        return {
            "revision": self.revision.as_dict(),
            "details": self.details.as_dict(),
            "cancelled": self.cancelled,
            "said": self.said.as_dict() if self.said else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Occurrence:
        """Rebuild from :meth:`as_dict` output."""
        return cls(
            revision=Revision.from_dict(data["revision"]),
            details=EventDetails.from_dict(data["details"]),
            cancelled=bool(data["cancelled"]),
            said=EventDetails.from_dict(data["said"]) if data.get("said") else None,
        )
