"""Use case: an organizer emails a recipient list (CSV) to the bulk mailbox."""

from __future__ import annotations

from application.errors import AmbiguousInviteError, InviteNotFoundError
from application.ports import RecipientListReader, RecipientRow
from application.queries import find_invite
from application.send_types import Recipient
from application.stores import Loader
from domain.invite import Invite
from domain.messages import ListRequest
from domain.outcomes import Outcome

_PUNCTUATION = "[](){}<>\"',;:"


def invite_named_in(load: Loader, subject: str | None, organizer: str | None) -> Invite | None:
    """Return the one invite of ``organizer`` whose id or UID appears in ``subject``."""
    found: dict[str, Invite] = {}
    for word in (subject or "").split():
        try:
            invite = find_invite(load, word.strip(_PUNCTUATION))
        except (InviteNotFoundError, AmbiguousInviteError):
            continue
        if invite.organizer == organizer:
            found[str(invite.id)] = invite
    return next(iter(found.values())) if len(found) == 1 else None


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
