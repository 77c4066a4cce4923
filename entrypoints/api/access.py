"""Which invites a caller may read or act on: what it may not see does not exist for it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.admin.keys import Principal
from domain.invite import Invite
from entrypoints.api.auth import may_write
from entrypoints.api.problems import ProblemError, not_found
from entrypoints.api.state import ApiState


def readable_summary(state: ApiState, principal: Principal, invite_id: UUID) -> dict[str, Any]:
    """Return the invite's summary; 404 if it does not exist or the caller may not read it."""
    summary = state.reports().invite(invite_id)
    if summary is None or not principal.may_read_organizer(summary["organizer"]):
        raise not_found()
    return summary


def writable_invite(state: ApiState, principal: Principal, invite_id: UUID) -> Invite:
    """Return the invite (from its own stream, never a lagging view) if the caller may act on it.

    404 when it does not exist or the caller may not even read it; 403 when it may only read.
    """
    invite = state.service.load(Invite, invite_id)
    if invite is None or not principal.may_read_organizer(invite.organizer):
        raise not_found()
    if not may_write(principal, invite.organizer):
        raise ProblemError(403, "only the invite's organizer or an admin may do this")
    return invite
