"""Use case: an organizer emails a recipient list (CSV) to the bulk mailbox.

A list makes the server mail an invite to strangers, so it passes the same sender rule as
a REQUEST. An accepted list is handed on (:meth:`Followups.list_accepted`): this flow
records, it never sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.inbound.bulk_mail import invite_named_in, recipients_of, refusal_of
from application.inbound.deciding import Decider
from application.inbound.followups import AcceptedList, Change, Followups
from application.inbound.organizer_rule import speaks_for
from application.inbound.senders import SenderCheck
from application.ports import MessageParser, RecipientListReader, UnreadableListError
from application.results import IngestResult, receipt_of
from application.send_types import Save
from application.stores import Loader
from domain.messages import Unusable
from domain.outcomes import Outcome


@dataclass(frozen=True)
class ListRequests:
    """Reads a list email, checks who sent it and for which invite, and accepts or refuses it."""

    load: Loader
    save: Save
    parser: MessageParser
    lists: RecipientListReader
    decider: Decider
    followups: Followups

    def receive(
        self, raw: bytes, digest: str, now: datetime, envelope_to: str | None, check: SenderCheck
    ) -> IngestResult:
        """Return the one outcome of a list email (``bulk`` when accepted), receipt saved."""
        request = self.parser.parse_list(raw)
        if isinstance(request, Unusable):
            result = IngestResult(Outcome.REJECTED, digest, reason=request.reason)
            self._receipt(result, envelope_to, now, check)
            verified = self.decider.verified(request, check)
            self.followups.committed(Change(request, result, None, verified, now))
            return result
        organizer, _, refusal_text = speaks_for(
            None,
            None,
            request.from_addresses,
            request.sender,
            load=self.load,
            check=check,
            policies=self.decider.rules.policies,
            relays=frozenset(),
        )
        invite = (
            invite_named_in(self.load, request.subject, organizer) if refusal_text is None else None
        )
        refusal = (Outcome.REJECTED, refusal_text) if refusal_text else refusal_of(request, invite)
        if refusal is not None or invite is None:
            outcome, reason = refusal or (Outcome.REJECTED, "the list names no invite")
            return self._receipt(
                IngestResult(outcome, digest, reason=reason), envelope_to, now, check
            )
        try:
            recipients, invalid = recipients_of(self.lists, request)
        except UnreadableListError as error:
            # An outcome, not a failure: the sender's server must not offer it again for ever.
            result = IngestResult(Outcome.REJECTED, digest, invite=invite.id, reason=str(error))
            return self._receipt(result, envelope_to, now, check)
        self.followups.list_accepted(AcceptedList(invite, digest, recipients, invalid), now)
        result = IngestResult(Outcome.BULK, digest, invite=invite.id, uid=invite.uid)
        return self._receipt(result, envelope_to, now, check)

    def _receipt(
        self, result: IngestResult, envelope_to: str | None, now: datetime, check: SenderCheck
    ) -> IngestResult:
        self.save(receipt_of(result, envelope_to, now, check.record()))
        return result
