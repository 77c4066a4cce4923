"""What the invite page's actions say, in words: each send's outcome as a sentence, the
progress of the invite's sending, what approving a held update sends, and the links an
organizer copies.

Pure functions over what the front doors return, so the routes stay a sequence of calls and
the words are testable without a server.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from application.reading.history import HistoryEntry
from application.reading.report import RecipientView
from application.send_types import SendOutcome, SendResult
from entrypoints.web.invite_page import Happening, happenings, when

# Kinds of history entry that change what recipients have (a held update is made of these).
_CHANGES = ("Updated", "InstanceOverridden", "InstanceCancelled", "Cancelled")
# The details people see, as the approval page names them, in the order they read them.
_FIELDS = (
    ("summary", "Title"),
    ("start", "Starts"),
    ("end", "Ends"),
    ("location", "Where"),
    ("status", "Status"),
    ("rrule", "Repeats"),
    ("description", "Description"),
)
# Email tools replace these in a link per recipient: they must stay literal in the URL.
MAILCHIMP_TAGS = "&address=*|EMAIL|*&name=*|FNAME|*"
GENERIC_TAGS = "&address={{email}}&name={{name}}"


def as_sentence(text: str | None, fallback: str = "no reason was given") -> str:
    """Return ``text`` with a capital first letter (not an address's) and a full stop."""
    words = (text or fallback).strip().rstrip(".")
    if "@" in words.split(" ", 1)[0]:
        return words + "."
    return words[:1].upper() + words[1:] + "."


def outcome_sentence(result: SendResult) -> str:
    """Say what became of one recipient of a send."""
    who, why = result.address or "(no address)", as_sentence(result.reason)
    said = {
        SendOutcome.SENT: f"The invitation was sent to {who}.",
        # A duplicate's reason says why (an earlier line of a list, or an earlier send).
        SendOutcome.DUPLICATE: as_sentence(
            result.reason, f"{who} already had this version: nothing was sent again"
        ),
        SendOutcome.QUEUED: f"The mail server could not take it for {who} yet: it is retried.",
        SendOutcome.FAILED: f"The mail server refused it for {who} for good. {why}",
        SendOutcome.INVALID: f"{who} cannot receive it. {why}",
        SendOutcome.BLOCKED: f"{who} is blocked: nothing was sent. {why}",
        SendOutcome.LIMIT: f"Not sent to {who}: a recipient limit was reached. {why}",
        SendOutcome.CANCELLED: f"Not sent to {who}: the event is cancelled.",
        SendOutcome.CLAIMED_ELSEWHERE: f"Another worker is sending it to {who} right now.",
        SendOutcome.SUPPRESSED: f"Not sent to {who}: the address is on the suppression list "
        f"(an unsubscribe, a complaint or a bounce). {why}",
    }
    return said.get(result.outcome, f"{who}: {result.outcome.value}. {why}")


def outcome_counts(results: Iterable[SendResult]) -> dict[str, int]:
    """Return how many results ended each way, the most common first."""
    return dict(Counter(r.outcome.value for r in results).most_common())


@dataclass(frozen=True)
class Progress:
    """Where the invite's sending stands: counts by delivery state, and who is not done."""

    counts: dict[str, int]
    waiting: list[RecipientView]
    more: int

    @property
    def pending(self) -> int:
        """How many recipients still wait for the newest version."""
        return self.counts.get("pending", 0)


def progress(recipients: Sequence[RecipientView], limit: int = 100) -> Progress:
    """Return the sending's counts (sent, pending, failed, bounced) and up to ``limit``
    recipients whose newest version has not been sent."""
    counts = Counter(r.delivery for r in recipients)
    shown = {state: counts.get(state, 0) for state in ("sent", "pending", "failed", "bounced")}
    waiting = [r for r in recipients if r.delivery != "sent"]
    return Progress(shown | dict(counts), waiting[:limit], max(0, len(waiting) - limit))


@dataclass(frozen=True)
class Change:
    """One detail a held update changes: what recipients have, and what they would get."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HeldUpdate:
    """What approving sends: the changes in words, and each changed detail before and after."""

    happenings: list[Happening]
    changes: list[Change]


def held_update(entries: Sequence[HistoryEntry], since: datetime | None) -> HeldUpdate:
    """Return what was held from ``since`` on (the invite's history, oldest first)."""
    first = next(
        (
            i
            for i, e in enumerate(entries)
            if since is not None and e.timestamp >= since and e.type in _CHANGES
        ),
        len(entries),
    )
    had = _details(entries[:first])
    now = _details(entries)
    changes = []
    for key, label in _FIELDS:
        before, after = _shown(key, had), _shown(key, now)
        if had is not None and now is not None and before != after:
            changes.append(Change(label, before or "(none)", after or "(none)"))
    held = [e for e in entries[first:] if e.type in _CHANGES]
    return HeldUpdate(happenings(held), changes)


def _details(entries: Sequence[HistoryEntry]) -> Mapping[str, Any] | None:
    for entry in reversed(entries):
        details = entry.data.get("details")
        if entry.type in ("Scheduled", "Updated") and isinstance(details, Mapping):
            return details
    return None


def _shown(key: str, details: Mapping[str, Any] | None) -> str:
    value = (details or {}).get(key)
    if key in ("start", "end"):
        return when(value, (details or {}).get("timezone"))
    if key == "summary":
        return str(value or "")
    # iCalendar text escapes (a backslash before commas) mean nothing to people.
    return re.sub(r"\\([,;\\])", r"\1", str(value or ""))


@dataclass(frozen=True)
class CopyLink:
    """A ready-made link an organizer copies, with what it is for."""

    key: str
    label: str
    url: str
    hint: str


def copy_links(landing: str) -> list[CopyLink]:
    """Return the landing link and the campaign links with email tools' merge tags."""
    return [
        CopyLink(
            "landing",
            "Landing link",
            landing,
            "Your web page's form sends a visitor's address to it (add address= and name=).",
        ),
        CopyLink(
            "mailchimp",
            "Campaign link for Mailchimp",
            landing + MAILCHIMP_TAGS,
            "Mailchimp puts each recipient's address and first name in place of the merge tags.",
        ),
        CopyLink(
            "generic",
            "Campaign link for other email tools",
            landing + GENERIC_TAGS,
            "For tools whose merge tags are written {{email}} and {{name}}.",
        ),
    ]


def signed_url(base: str, path: str, signature: str) -> str:
    """Return the absolute URL of ``path`` on ``base`` with ``?sig=``."""
    return f"{base.rstrip('/')}{path}?sig={quote(signature, safe='')}"


def file_name(title: str | None, suffix: str) -> str:
    """Return a file name made of the title's letters and digits only (safe in any header)."""
    plain = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:60].strip("-")
    return f"{slug or 'invitation'}-{suffix}"
