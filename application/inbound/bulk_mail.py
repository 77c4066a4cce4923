"""Use case: an organizer emails a recipient list (CSV) to the bulk mailbox."""

from __future__ import annotations

from uuid import UUID

from application.ports import RecipientListReader, RecipientRow
from application.send_types import Recipient
from application.stores import Loader
from domain.identity import invite_id, normalize_address
from domain.invite import Invite
from domain.messages import ListRequest
from domain.outcomes import Outcome

_PUNCTUATION = "[](){}<>\"',;:"


def invite_named_in(load: Loader, subject: str | None, organizer: str | None) -> Invite | None:
    """Return the one invite of ``organizer`` whose id or UID appears in ``subject``."""
    if not organizer:
        return None
    found: dict[str, Invite] = {}
    for word in (subject or "").split():
        invite = _own_invite(load, word.strip(_PUNCTUATION), normalize_address(organizer))
        if invite is not None:
            found[str(invite.id)] = invite
    return next(iter(found.values())) if len(found) == 1 else None


def _own_invite(load: Loader, word: str, organizer: str) -> Invite | None:
    """Return ``organizer``'s invite with the id or UID ``word``, or None."""
    try:
        by_id = load(Invite, UUID(word))
    except ValueError:
        by_id = None
    if by_id is not None:
        return by_id if normalize_address(by_id.organizer) == organizer else None
    # A UID names an invite only among the organizer's own (the invite id is derived from
    # both): another organizer's invite under the same UID neither hides nor replaces it.
    return load(Invite, invite_id(organizer, word)) if word else None


def recipients_of(
    reader: RecipientListReader, request: ListRequest
) -> tuple[list[Recipient], list[RecipientRow]]:
    """Return the usable recipients (each once) and the rows that are not usable."""
    rows = reader.read(request.attachment)
    seen: set[str] = set()
    recipients = []
    for row in rows:
        if row.problem is None and row.address not in seen:
            seen.add(row.address)
            recipients.append(Recipient(row.address, row.name, "bulk"))
    return recipients, [row for row in rows if row.problem is not None]


def refusal_of(request: ListRequest, invite: Invite | None) -> tuple[Outcome, str] | None:
    """Return why a list email cannot be sent, or None."""
    if invite is None:
        return Outcome.REJECTED, (
            f"the subject {request.subject!r} names none of {request.sender}'s invites: put "
            "the invite id (from the 'recorded' notice) or the invite's UID in the subject"
        )
    return None
