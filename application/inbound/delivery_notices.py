"""Use case: a mail provider's bounce and complaint notifications mark the recipient's delivery.

A sending provider reports what became of mail it accepted as notifications, not as mail
(a DSN mailed back is ``handle_bounce``'s): the VERP return path we sent with
(``bounces+TOKEN@domain``) names the delivery.
A complaint (the recipient pressed "this is spam") is recorded as a permanent bounce whose
reason says so, and both put the address on the suppression list server-wide (reason
``complaint`` or ``hard-bounce``), so no organizer's send mails it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from application.inbound.bounces import handle_bounce
from application.results import Decision
from application.send_types import OutboundSettings, Save
from application.stores import Loader
from domain.messages import Bounce
from domain.outcomes import Outcome

# A send to the same recipient racing the notification loses nothing by trying again.
_ATTEMPTS = 5


class NoticeKind(StrEnum):
    """What the provider reports: a bounce or a complaint (deliveries are not notices here)."""

    BOUNCE = "bounce"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class NoticeRecipient:
    """One recipient a notification names, with what their mail system said."""

    address: str
    status: str | None = None
    diagnostic: str | None = None


@dataclass(frozen=True)
class DeliveryNotice:
    """A mail provider's bounce or complaint about one message we sent.

    ``permanent`` is True for a permanent bounce and for every complaint; ``detail`` is the
    provider's type and subtype of the bounce (``Permanent/General``) or the complaint's
    feedback type; ``provider`` names who reported it, for the reason recorded.
    """

    kind: NoticeKind
    return_path: str
    recipients: tuple[NoticeRecipient, ...]
    permanent: bool
    detail: str
    provider: str | None = None


@dataclass(frozen=True)
class NoticeResult:
    """What one notified recipient ended as: bounced, duplicate (nothing new) or rejected."""

    address: str | None
    outcome: Outcome
    invite: UUID | None = None
    reason: str | None = None


def record_delivery_notice(
    notice: DeliveryNotice,
    *,
    load: Loader,
    save: Save,
    outbound: OutboundSettings | None,
    now: datetime,
) -> list[NoticeResult]:
    """Mark the delivery the notice's return path names as bounced, once; report each recipient.

    A transient bounce changes nothing (the provider or the receiving system tried; a later
    send may work); a notice whose return path carries no token of ours is rejected, not an error.
    """
    named = notice.recipients or (NoticeRecipient(address=""),)
    return [_record(notice, recipient, load, save, outbound, now) for recipient in named]


def _record(
    notice: DeliveryNotice,
    recipient: NoticeRecipient,
    load: Loader,
    save: Save,
    outbound: OutboundSettings | None,
    now: datetime,
) -> NoticeResult:
    bounce = _as_bounce(notice, recipient)
    for attempt in range(_ATTEMPTS):
        complaint = notice.kind is NoticeKind.COMPLAINT
        decision = handle_bounce(
            bounce, notice.return_path, load, outbound, now, complaint=complaint
        )
        try:
            if decision.changed:
                save(*decision.changed)
        except RecordConflictError:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        return _result(notice, bounce, decision)
    raise AssertionError("unreachable")  # pragma: no cover


def _as_bounce(notice: DeliveryNotice, recipient: NoticeRecipient) -> Bounce:
    if notice.kind is NoticeKind.COMPLAINT:
        diagnostic = f"complaint: the recipient reported the message as spam ({notice.detail})"
        return Bounce(True, recipient.address or None, None, diagnostic)
    reported = " ".join(p for p in (notice.provider, notice.detail) if p)
    diagnostic = "; ".join(p for p in (recipient.diagnostic, reported) if p)
    return Bounce(notice.permanent, recipient.address or None, recipient.status, diagnostic)


def _result(notice: DeliveryNotice, bounce: Bounce, decision: Decision) -> NoticeResult:
    outcome, reason = decision.verdict.outcome, decision.verdict.reason
    if not notice.permanent and outcome is Outcome.DUPLICATE:
        # handle_bounce words this for a DSN's "delayed"; a provider's transient bounce is
        # final (it gave up on that message).
        reason = (
            f"a transient bounce ({bounce.reason}): nothing recorded, later versions are "
            "still sent to this recipient"
        )
    return NoticeResult(bounce.recipient, outcome, decision.invite, reason)
