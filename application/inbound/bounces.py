"""Use case: a bounce (DSN) for a message we sent marks that recipient as bounced."""

from __future__ import annotations

from datetime import datetime

from application.outbound.suppressions import suppress_for_notice
from application.results import Decision
from application.send_types import OutboundSettings
from application.stores import Loader
from domain.delivery import Delivery, delivery_id
from domain.messages import Bounce
from domain.outcomes import Outcome, Verdict
from domain.reply_tokens import token_of


def handle_bounce(
    bounce: Bounce,
    envelope_to: str | None,
    load: Loader,
    outbound: OutboundSettings | None,
    now: datetime,
    *,
    complaint: bool = False,
) -> Decision:
    """Record a permanent bounce on the delivery its VERP address names; ignore the rest.

    A permanent bounce (or a ``complaint``, which is recorded as one) also puts the address on
    the suppression list, server-wide (application/outbound/suppressions.py says why).
    """
    token = token_of(envelope_to) if envelope_to else None
    mailbox = envelope_to.split("+", 1)[0].lower() if envelope_to else None
    if token is None or outbound is None or mailbox != outbound.bounce_mailbox:
        return Decision(Verdict(Outcome.REJECTED, _not_ours(bounce)))
    delivery = load(Delivery, delivery_id(token))
    if delivery is None:
        return Decision(Verdict(Outcome.REJECTED, _not_ours(bounce)))
    if not bounce.permanent:
        why = f"a delay notice for {delivery.address} ({bounce.reason}); the mail system retries"
        return Decision(Verdict(Outcome.DUPLICATE, why), delivery.invite)
    suppression = suppress_for_notice(load, delivery.address, complaint, now)
    suppressed = [suppression] if suppression is not None else []
    if delivery.bounced is not None:
        return Decision(
            Verdict(Outcome.DUPLICATE, f"{delivery.address} is already marked as bounced"),
            delivery.invite,
            suppressed,
        )
    delivery.bounce(reason=bounce.reason, timestamp=now)
    return Decision(Verdict(Outcome.BOUNCED), delivery.invite, [delivery, *suppressed])


def _not_ours(bounce: Bounce) -> str:
    about = f" for {bounce.recipient}" if bounce.recipient else ""
    return (
        f"a delivery status notification{about} ({bounce.reason}) that does not name a "
        "message this server sent (its bounce address carries no known token); nothing recorded"
    )
