"""What the ingest use case reports for each message."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.outcomes import Outcome


@dataclass(frozen=True)
class IngestResult:
    """The single outcome of one message, with what it was about."""

    outcome: Outcome
    message: str
    invite: UUID | None = None
    uid: str | None = None
    sequence: int | None = None
    method: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the CLI's JSON shape (keys are a stable contract)."""
        return {
            "outcome": self.outcome.value,
            "invite": str(self.invite) if self.invite else None,
            "uid": self.uid,
            "sequence": self.sequence,
            "method": self.method,
            "reason": self.reason,
            "message": self.message,
        }
