"""Read use cases: find an invite by id or UID, show it, list its history."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from application.errors import AmbiguousInviteError, InviteNotFoundError
from application.reading.history import HistoryEntry, history_entry
from application.reading.views import InviteView, invite_view
from application.stores import Loader
from domain.attendance import Attendance
from domain.identity import attendance_id, uid_index_id
from domain.indexes import UidIndex
from domain.invite import Invite


def find_invite(load: Loader, ref: str) -> Invite:
    """Return the invite named by its id, or by an organizer's UID when that is unambiguous."""
    try:
        by_id = load(Invite, UUID(ref))
    except ValueError:
        by_id = None
    if by_id is not None:
        return by_id
    index = load(UidIndex, uid_index_id(ref))
    if index is None or not index.invites:
        msg = f"no invite has the id or UID {ref!r}"
        raise InviteNotFoundError(msg)
    if len(index.invites) > 1:
        ids = ", ".join(str(i) for i in index.invites)
        msg = f"UID {ref!r} names {len(index.invites)} invites ({ids}); give the invite id"
        raise AmbiguousInviteError(msg)
    found = load(Invite, index.invites[0])
    if found is None:  # pragma: no cover - the index is saved with the invite
        raise InviteNotFoundError(ref)
    return found


def show_invite(load: Loader, ref: str) -> InviteView:
    """Return the current state of an invite with each listed attendee's counting answer."""
    invite = find_invite(load, ref)
    # The same occurrence the view shows (not the first one received): the answers must not
    # depend on delivery order.
    listed = (invite.master or invite.occurrences[min(invite.occurrences)]).details.attendees
    answers: dict[str, str] = {}
    for attendee in listed:
        stream = load(Attendance, attendance_id(invite.id, attendee.address))
        partstat = stream.partstat(invite.sequence) if stream else None
        if partstat is not None:
            answers[attendee.address] = partstat
    return invite_view(invite, answers)


def invite_history(app: Application[UUID], load: Loader, ref: str) -> list[HistoryEntry]:
    """Return every stored event of the invite's stream, oldest first."""
    invite = find_invite(load, ref)
    return [history_entry(e) for e in app.events.get(invite.id)]


def all_invite_ids(app: Application[UUID], page: int = 500) -> Iterator[UUID]:
    """Yield the id of every invite, in the order they were created."""
    topic = get_topic(Invite.Created)
    start = 1
    while True:
        batch = app.recorder.select_notifications(start=start, limit=page, topics=[topic])
        for notification in batch:
            originator = notification.originator_id
            yield originator if isinstance(originator, UUID) else UUID(originator)
        if len(batch) < page:
            return
        start = batch[-1].id + 1
