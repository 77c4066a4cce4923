"""What the ingest use case reports for each message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.indexes import InboundMessage
from domain.messages import ItipMessage
from domain.outcomes import Outcome, Verdict


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


def redelivered(seen: InboundMessage) -> IngestResult:
    """Return the outcome of a message delivered again: what it was, and what it ended as."""
    return IngestResult(
        Outcome.DUPLICATE,
        seen.digest,
        invite=seen.invite,
        uid=seen.uid,
        sequence=seen.sequence,
        method=seen.method,
        reason=f"this exact message was received before and ended as {seen.outcome}",
    )


@dataclass
class Decision:
    """What a message decided: its verdict, the invite it concerns, and what to save."""

    verdict: Verdict
    invite: UUID | None = None
    changed: list[Any] = field(default_factory=list)


def result_of(message: ItipMessage, decision: Decision, digest: str) -> IngestResult:
    """Return what a decided message reports: its outcome and what it was about."""
    master = message.master or (message.components[0] if message.components else None)
    return IngestResult(
        decision.verdict.outcome,
        digest,
        invite=decision.invite,
        uid=message.uid,
        sequence=master.sequence if master else None,
        method=message.method.value,
        # What a recorded message lost is said with it; a refused one records nothing to lose.
        reason=decision.verdict.reason or "; ".join(message.losses) or None,
    )


def receipt_of(
    result: IngestResult,
    envelope_to: str | None,
    now: datetime,
    sender: dict[str, Any] | None = None,
) -> InboundMessage:
    """Return the receipt that records a message's outcome beside the changes it caused,
    with what was verified of its sender."""
    return InboundMessage(
        digest=result.message,
        outcome=result.outcome.value,
        invite=result.invite,
        uid=result.uid,
        sequence=result.sequence,
        method=result.method,
        reason=result.reason,
        envelope_to=envelope_to,
        timestamp=now,
        sender=sender,
    )
