"""When organizers are told what happened, and what they are told.

Notices are best effort: a notice that cannot be delivered is logged, never allowed to undo
or fail the work it reports. Nothing is ever sent in answer to a machine (bounces,
auto-replies, anything marked Auto-Submitted): that is how mail loops start.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.ports import DeliveryError, Notice, NoticeSender, RecipientRow
from application.rate_limit import RateLimit
from application.results import IngestResult
from application.send_types import SendResult
from domain.addresses import address_problem
from domain.invite import Invite
from domain.messages import ItipMessage, ListRequest, ParsedMessage, Unusable
from domain.outcomes import Outcome
from domain.values import Method

log = logging.getLogger(__name__)


@dataclass
class Notifier:
    """Builds and sends organizer notices through the NoticeSender port (if one is wired)."""

    sender: NoticeSender | None
    rejections: RateLimit = field(default_factory=lambda: RateLimit(5, timedelta(hours=1)))

    def tell(self, notice: Notice, now: datetime) -> None:
        """Send ``notice``; a delivery failure is logged, not raised."""
        if self.sender is None:
            return
        if address_problem(notice.to) is not None:
            # Addresses come from mail we did not write: one we cannot send to is skipped.
            log.info("notice %s not sent: %r is not a usable address", notice.kind, notice.to)
            return
        try:
            self.sender.send(notice, now=now)
        except DeliveryError as error:
            log.warning("notice %s to %s not delivered: %s", notice.kind, notice.to, error.reason)

    def after_ingest(
        self,
        parsed: ParsedMessage | ListRequest,
        result: IngestResult,
        invite: Invite | None,
        now: datetime,
        verified: str | None = None,
    ) -> None:
        """Tell the organizer (or the sender) what became of a message, where it helps.

        A rejection is told only to ``verified``, the sender something other than its own
        word vouched for, at most a few times an hour, and never quotes the message: a
        forged From must not make this server mail whoever the forger named.
        """
        if not isinstance(parsed, ItipMessage | Unusable) or parsed.automatic:
            return
        if result.outcome is Outcome.CREATED and invite is not None:
            self.tell(Notice("created", invite.organizer, invite.id, _title(invite)), now)
        elif result.outcome is Outcome.REJECTED and not _quarantined(result):
            if verified is not None and self.rejections.allows(verified, now):
                facts = {"reason": result.reason or ""}
                self.tell(Notice("rejected", verified, None, None, _filled(facts)), now)
        elif (
            isinstance(parsed, ItipMessage)
            and parsed.method is Method.COUNTER
            and result.outcome is Outcome.COUNTER
            and invite is not None
        ):
            self.tell(_counter_notice(parsed, invite), now)

    def forward_reply(self, message: Unusable, invite: Invite, now: datetime) -> None:
        """Pass an attendee's reply that carries no calendar data on to the organizer."""
        facts = {
            "from": message.sender or "unknown sender",
            "text": message.text or "",
            "subject": message.subject or "",
        }
        notice = Notice(
            "forwarded-reply", invite.organizer, invite.id, _title(invite), _filled(facts)
        )
        self.tell(notice, now)

    def held(self, invite: Invite, now: datetime) -> None:
        """Tell the organizer an update waits for their approval."""
        facts = {"sequence": str(invite.sequence)}
        self.tell(Notice("held", invite.organizer, invite.id, _title(invite), facts), now)

    def sent(
        self,
        invite: Invite,
        results: Iterable[SendResult],
        invalid: Iterable[RecipientRow],
        now: datetime,
        *,
        summary: bool,
    ) -> None:
        """After a send: a limit notice if the limit cut it, and for bulk sends a summary."""
        results = list(results)
        counts = Counter(r.outcome.value for r in results)
        limited = [r for r in results if r.outcome.value == "limit"]
        if limited and not summary:  # a bulk summary counts them itself
            facts = {
                "limit": str(limited[0].reason or ""),
                "used": str(counts.get("sent", 0)),
                "what": f"{len(limited)} recipients were not sent to",
            }
            self.tell(Notice("limit", invite.organizer, invite.id, _title(invite), facts), now)
        if summary:
            facts = {f"count.{k}": str(v) for k, v in sorted(counts.items())}
            facts |= {f"invalid.{row.line}": row.problem or "" for row in invalid}
            notice = Notice("bulk-summary", invite.organizer, invite.id, _title(invite), facts)
            self.tell(notice, now)

    def report(
        self, invite: Invite, statuses: Mapping[str, int], csv: bytes, now: datetime
    ) -> None:
        """Send the organizer their RSVP report with the CSV attached."""
        facts = {f"count.{k}": str(v) for k, v in sorted(statuses.items())}
        attachment = (f"rsvp-report-{invite.id}.csv", csv)
        notice = Notice(
            "rsvp-report", invite.organizer, invite.id, _title(invite), facts, attachment
        )
        self.tell(notice, now)


def _title(invite: Invite) -> str | None:
    shown = invite.master or next(iter(invite.occurrences.values()), None)
    return shown.details.summary if shown else None


def _quarantined(result: IngestResult) -> bool:
    # A quarantined reply may be a forgery: telling its sender why would coach the forger.
    return (result.reason or "").startswith("quarantined")


def _filled(facts: Mapping[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in facts.items() if v}


def _counter_notice(parsed: ItipMessage, invite: Invite) -> Notice:
    component = parsed.components[0]
    attendee = next(iter(component.details.attendees), None)
    proposed = f"{component.details.start or '?'} to {component.details.end or '?'}"
    current = invite.master.details if invite.master else None
    facts = {
        "attendee": attendee.address if attendee else (parsed.sender or "an attendee"),
        "proposed": proposed,
        "current": f"{current.start} to {current.end}" if current else "",
        "comment": parsed.comment or "",
    }
    return Notice("counter", invite.organizer, invite.id, _title(invite), _filled(facts))
