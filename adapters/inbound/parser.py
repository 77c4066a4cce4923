"""The inbound MessageParser: raw email or .ics bytes → one ItipMessage or one Unusable."""

from __future__ import annotations

from dataclasses import replace

from adapters.inbound import reasons
from adapters.inbound.addresses import email_address
from adapters.inbound.charsets import decode_text
from adapters.inbound.dsn import read_bounce
from adapters.inbound.itip import message_from
from adapters.inbound.lists import read_list_request
from adapters.inbound.mime import (
    MOST_HEADER_BYTES,
    CalendarPart,
    Envelope,
    header_section_too_large,
    is_bare_calendar,
    is_tnef,
    read_email,
)
from application.ports import MessageParser
from domain.messages import ItipMessage, ListRequest, ParsedMessage, Unusable
from domain.values import ORGANIZER_METHODS


class EmailCalendarParser(MessageParser):
    """Reads invitations as real clients send them (see shared/corpus): MIME, then iCalendar."""

    def parse(self, raw: bytes, *, sender: str | None = None) -> ParsedMessage:
        """Parse ``raw``; never raises, anything unusable comes back as ``Unusable``."""
        try:
            return self._parse(bytes(raw), sender)
        except Exception as error:  # the port promises an outcome for any input whatsoever
            return reasons.malformed(
                f"the message could not be read ({type(error).__name__}: "
                f"{reasons.quote(error, 120)})"
            )

    def parse_list(self, raw: bytes) -> ListRequest | Unusable:
        """Read an email to the bulk mailbox; never raises."""
        try:
            return read_list_request(bytes(raw))
        except Exception as error:  # the port promises an outcome for any input whatsoever
            return reasons.malformed(
                f"the message could not be read ({type(error).__name__}: "
                f"{reasons.quote(error, 120)})"
            )

    def _parse(self, raw: bytes, envelope_sender: str | None) -> ParsedMessage:
        fallback = email_address(envelope_sender) if envelope_sender else None
        if not raw.strip():
            return reasons.empty()
        if is_tnef(raw):
            return reasons.tnef()
        if is_bare_calendar(raw):
            return _first_usable((CalendarPart(raw),), fallback)
        if header_section_too_large(raw):
            return reasons.headers_too_large(MOST_HEADER_BYTES)
        envelope = read_email(raw)
        if envelope.bounce:
            return read_bounce(raw) or reasons.bounce()
        sender = envelope.sender or fallback
        if not envelope.parts:
            refusal = reasons.tnef() if envelope.tnef else reasons.no_calendar(envelope.has_headers)
            return replace(
                refusal,
                sender=sender,
                automatic=envelope.automatic or envelope.machine_sender,
                subject=envelope.subject,
                text=envelope.text,
                from_addresses=envelope.from_addresses,
            )
        parsed = _first_usable(envelope.parts, sender)
        if isinstance(parsed, Unusable):
            parsed = replace(parsed, sender=sender)
        parsed = replace(parsed, from_addresses=envelope.from_addresses)
        if (
            isinstance(parsed, ItipMessage)
            and parsed.organizer_name is None
            and envelope.sender_name is not None
            and envelope.from_addresses == (parsed.organizer,)
        ):
            # No CN: the organizer's own mail names them (a relay's or delegate's would not).
            parsed = replace(parsed, organizer_name=envelope.sender_name)
        return replace(parsed, automatic=True) if _automatic(envelope, parsed) else parsed


def _automatic(envelope: Envelope, parsed: ItipMessage | Unusable) -> bool:
    """Return whether a machine sent the message, not a person through a calendar service.

    A noreply@ From on an organizer's REQUEST or CANCEL is a calendar service relaying it
    (iCloud writes from noreply@insideicloud.icloud.com): its notices go to the ORGANIZER,
    never to that From, so answering it starts no loop.
    """
    if envelope.automatic:
        return True
    relayed = isinstance(parsed, ItipMessage) and parsed.method in ORGANIZER_METHODS
    return envelope.machine_sender and not relayed


def _first_usable(parts: tuple[CalendarPart, ...], sender: str | None) -> ItipMessage | Unusable:
    """Return the first part's message that is usable, else the best part's reason."""
    # Clients often attach the same calendar twice (inline and as invite.ics): parse it once.
    seen: set[bytes] = set()
    failure: Unusable | None = None
    fallback_method = next((part.method for part in parts if part.method), None)
    for part in parts:
        if part.data in seen:
            continue
        seen.add(part.data)
        if not part.data.strip():
            outcome: ItipMessage | Unusable = reasons.malformed("the calendar part is empty")
        else:
            outcome = message_from(
                decode_text(part.data, part.charset),
                sender=sender,
                content_type_method=part.method or fallback_method,
            )
        if isinstance(outcome, ItipMessage):
            return outcome
        if part.method and outcome.kind == "not-an-event":
            # The part with a method= parameter is the iMIP message itself (RFC 6047); a task
            # there is what was sent, whatever event copy rides along as an attachment.
            return outcome
        failure = failure or outcome
    return failure or reasons.malformed("the calendar part is empty")
