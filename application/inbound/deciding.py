"""Which rule decides a message, and who its sender is as far as verification goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.inbound.attendee_messages import handle_attendee_message
from application.inbound.organizer_messages import handle_organizer_message
from application.inbound.routing import Mailboxes, unsupported_method
from application.inbound.senders import Arrival, Policies, SenderCheck
from application.inbound.token_replies import handle_token_reply
from application.ports import SenderVerifier
from application.results import Decision
from application.send_types import OutboundSettings
from application.stores import Loader
from domain.authentication import SenderPolicy
from domain.messages import ItipMessage, ParsedMessage, Unusable
from domain.outcomes import Outcome, Verdict
from domain.reply_tokens import token_of
from domain.values import ATTENDEE_METHODS


@dataclass(frozen=True)
class SenderRules:
    """Who may send what: verification, the sender policies, and who may be an organizer.

    ``open_registry``: anyone whose mail passes the policy may create invites (else only
    allowed organizers); ``relays``: domains whose servers forward organizers' mail as is.
    """

    verifier: SenderVerifier
    policies: Policies
    open_registry: bool = True
    relays: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decider:
    """Turns one parsed calendar message into a decision, by the rule its method and mailbox
    call for: an organizer's change, an attendee's answer, or a reply to a reply address."""

    load: Loader
    mailboxes: Mailboxes
    rules: SenderRules
    outbound: OutboundSettings

    def check(self, raw: bytes, arrival: Arrival) -> SenderCheck:
        """Return the (lazy) verification of ``raw``'s sender."""
        verifier = self.rules.verifier
        return SenderCheck(
            lambda: verifier.verify(
                raw,
                envelope_from=arrival.sender,
                client_ip=arrival.client_ip,
                helo=arrival.helo,
            ),
            given=arrival.authentication,
            private_tag=self.mailboxes.private_tag(arrival.to),
        )

    def decide(
        self,
        message: ItipMessage,
        envelope_to: str | None,
        now: datetime,
        check: SenderCheck,
        *,
        trusted: bool = False,
    ) -> Decision:
        """Decide ``message``; ``trusted``: its organizer is vouched for already (an API key)."""
        refusal = (
            unsupported_method(message.method)
            or self.mailboxes.misrouted(envelope_to, message.method)
            or (None if message.components else "the calendar holds no event (VEVENT) to record")
        )
        if refusal is not None:
            return Decision(Verdict(Outcome.REJECTED, refusal))
        policies = self.rules.policies
        token = token_of(envelope_to) if envelope_to else None
        if message.method in ATTENDEE_METHODS and token is not None:
            return handle_token_reply(
                message,
                token,
                self.load,
                secret=self.outbound.secret,
                check=check,
                policy=policies.default,
                now=now,
            )
        if message.method in ATTENDEE_METHODS:
            return handle_attendee_message(
                message, self.load, check=check, policy=policies.default, now=now
            )
        return handle_organizer_message(
            message,
            self.load,
            check=check,
            policies=Policies(SenderPolicy.OFF, lambda _: None) if trusted else policies,
            open_registry=self.rules.open_registry,
            relays=self.rules.relays,
            now=now,
        )

    def verified(self, parsed: ParsedMessage, check: SenderCheck) -> str | None:
        """Return the sender's address if something other than its word vouches for it.

        Rejection notices go only there: a forged From must never turn the server into a
        mailer of backscatter to whoever the forger named.
        """
        if not isinstance(parsed, ItipMessage | Unusable) or parsed.sender is None:
            return None
        sender = parsed.sender
        if check.private_for is not None:
            return check.private_for
        if self.rules.policies.for_address(sender) is SenderPolicy.OFF:
            return sender if len(parsed.from_addresses) <= 1 else None
        return sender if check.vouches_for(sender, parsed.from_addresses) else None
