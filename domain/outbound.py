"""What the server sends: its own version of an invite, and who receives it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from uuid import UUID, uuid5

from domain.identity import NAMESPACE, normalize_address
from domain.values import EventDetails, Method


@dataclass(frozen=True)
class OutboundInstance:
    """One overridden or cancelled occurrence, as it goes out with the invite."""

    recurrence_id: str
    details: EventDetails
    cancelled: bool = False


@dataclass(frozen=True)
class OutboundInvite:
    """One version of an invite as the server sends it, the same for every recipient.

    ``uid`` is the server UID (stable for the event's life), ``sequence`` the server's own
    SEQUENCE (it rises on every version sent and on cancel). ``method`` is REQUEST or CANCEL;
    ``cancelled_instance`` names the one RECURRENCE-ID a CANCEL withdraws (None: the whole event).
    ``details`` is the master (None when the organizer only ever sent instances).
    """

    invite: UUID
    uid: str
    method: Method
    sequence: int
    organizer_name: str | None
    details: EventDetails | None
    instances: tuple[OutboundInstance, ...] = ()
    cancelled_instance: str | None = None


@dataclass(frozen=True)
class Addressee:
    """One recipient of one version: who, the reply address issued to them, the Message-ID.

    ``rsvp_token`` is the signed token of their web RSVP links (domain.web_links), for the
    calendar clients that send no replies; None: the mail carries no such links.
    """

    address: str
    name: str | None
    reply_address: str
    message_id: str
    rsvp_token: str | None = None
    # The signed token of their List-Unsubscribe links (domain.unsubscribe_links) and the
    # mailbox address it makes; None: personal mail, which carries no List-Unsubscribe.
    unsubscribe_token: str | None = None
    unsubscribe_address: str | None = None


def for_newcomer(invite: OutboundInvite) -> OutboundInvite:
    """Return the version as someone who never received the invite gets it.

    Each cancelled instance becomes an EXDATE of the series instead of a STATUS:CANCELLED
    VEVENT: clients that never held the instance list such a VEVENT as an event of its own.
    Without a master there is no series to exclude it from, so the version stays as it is.
    """
    if invite.method is not Method.REQUEST or invite.details is None:
        return invite
    cancelled = [i.recurrence_id for i in invite.instances if i.cancelled]
    if not cancelled:
        return invite
    exdates = invite.details.exdates
    details = replace(
        invite.details, exdates=(*exdates, *(key for key in cancelled if key not in exdates))
    )
    kept = tuple(i for i in invite.instances if not i.cancelled)
    return replace(invite, details=details, instances=kept)


def server_uid(invite: UUID, domain: str) -> str:
    """Return the UID the server gives an invite: stable, and maps a REPLY straight back."""
    return f"{invite}@{domain}"


def message_id(invite: UUID, recipient: str, sequence: int, domain: str) -> str:
    """Return the deterministic Message-ID of one version for one recipient (with brackets).

    The same (invite, recipient, sequence) always gives the same id, so a retried send is
    recognizable as the same message by the receiving side and by our own records.
    """
    key = uuid5(NAMESPACE, f"message-id\n{invite.hex}\n{normalize_address(recipient)}\n{sequence}")
    return f"<{key.hex}@{domain}>"


def event_end(invite: OutboundInvite) -> datetime | None:
    """Return the latest end (or start) the version names, in UTC; None if it names none.

    Floating times and dates are read as UTC: callers allow a day for the offset.
    """
    moments = [
        _instant(text)
        for details in (invite.details, *(i.details for i in invite.instances))
        if details is not None
        for text in (details.end, details.start)
        if text
    ]
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _instant(text: str) -> datetime | None:
    try:
        if "T" not in text:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        value = datetime.fromisoformat(text)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None  # not ours to judge here: the renderer says what is wrong with the time
