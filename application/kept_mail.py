"""What is kept with each raw message besides its bytes, and what a damaged copy raises.

A message alone does not say where it was delivered: ``bulk@`` and ``rsvp+TOKEN@`` are
envelope addresses, often in no header. Its envelope is therefore kept beside it, so a
message run through ingest again (a reingest, a redrive of failed deliveries) ends as it
did the first time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Envelope:
    """How one raw message reached us: the envelope and when and through what it came.

    ``channel`` names the way in (``smtp``, ``cli``, ``ses``, ``s3``, ``api``…);
    ``client_ip`` and ``helo`` are the SMTP client's, so SPF can be checked again.
    """

    to: str | None = None
    sender: str | None = None
    received: datetime | None = None
    channel: str | None = None
    client_ip: str | None = None
    helo: str | None = None

    def as_dict(self) -> dict[str, str]:
        """Return the fields that are set, as strings (``received`` in ISO 8601)."""
        data: dict[str, Any] = asdict(self)
        if self.received is not None:
            data["received"] = self.received.isoformat()
        return {name: value for name, value in data.items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Envelope:
        """Return the envelope ``as_dict`` wrote; unknown or malformed fields are left out."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and isinstance(v, str) and v}
        received = values.pop("received", None)
        try:
            when = datetime.fromisoformat(received) if received else None
        except ValueError:
            when = None
        return cls(**values, received=when)


class CorruptMessageError(ValueError):
    """A kept message whose bytes no longer match its SHA-256 key (edited, truncated or
    replaced): it was moved aside to ``quarantined`` and must never be processed."""

    def __init__(self, key: str, where: str, problem: str, quarantined: str | None) -> None:
        self.key = key
        self.where = where
        self.problem = problem
        self.quarantined = quarantined
        moved = (
            f"moved to {quarantined}"
            if quarantined
            else "it could not be moved aside, so remove it by hand"
        )
        super().__init__(
            f"kept message {key} at {where} is corrupt ({problem}); {moved}. It is not "
            "processed: if the sender still has it, have it sent again"
        )
