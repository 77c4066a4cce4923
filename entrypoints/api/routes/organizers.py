"""An organizer's private drop-box address: issued once, revoked at will."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response

from application.access import may_write
from application.vocabulary import normalize_address
from entrypoints.api.auth import Caller, State
from entrypoints.api.models import PrivateAddress
from entrypoints.api.problems import ProblemError, problem_responses

router = APIRouter(tags=["organizers"], responses=problem_responses(401, 403, 422))


def _organizer(caller: Caller, address: str) -> str:
    organizer = normalize_address(address)
    if "@" not in organizer or not may_write(caller, organizer):
        raise ProblemError(403, f"this API key may not manage {organizer}'s drop-box addresses")
    return organizer


@router.post(
    "/organizers/{address}/private-address", response_model=PrivateAddress, status_code=201
)
def issue_private_address(address: str, caller: Caller, state: State) -> PrivateAddress:
    """Issue the organizer's private drop-box addresses, shown this once; earlier ones stop.

    Mail to them counts as the organizer's under the dmarc-or-private and private-only sender
    policies (for domains whose mail is not signed). Organizer or admin keys only.
    """
    organizer = _organizer(caller, address)
    settings = state.container.settings()
    registry = state.doors.admin.organizers
    secret = registry.issue_private_address(organizer, now=datetime.now(UTC))
    return PrivateAddress(
        organizer=organizer,
        create=f"{settings.create_mailbox}+{secret}@{settings.mail_domain}",
        bulk=f"{settings.bulk_mailbox}+{secret}@{settings.mail_domain}",
    )


@router.delete("/organizers/{address}/private-address", status_code=204)
def revoke_private_address(address: str, caller: Caller, state: State) -> Response:
    """Stop the organizer's private drop-box addresses from working."""
    organizer = _organizer(caller, address)
    state.doors.admin.organizers.revoke_private_address(organizer, now=datetime.now(UTC))
    return Response(status_code=204)
