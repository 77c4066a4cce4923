"""Identity of an attendee's COUNTER or REFRESH, so the same proposal is recorded once."""

from __future__ import annotations

import hashlib
from datetime import datetime


def proposal_key(
    kind: str,
    attendee: str,
    recurrence_id: str | None,
    dtstamp: datetime | None,
    proposal: str,
    comment: str | None,
) -> str:
    """Return a stable key for one proposal, whichever email delivered it."""
    text = "\n".join(
        [
            kind,
            attendee,
            recurrence_id or "",
            dtstamp.isoformat() if dtstamp else "",
            proposal,
            comment or "",
        ]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
