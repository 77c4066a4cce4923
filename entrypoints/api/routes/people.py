"""Recipients' data-protection requests, for admin keys: access (export) and erasure.

Both are POSTs with the address in the body: an address in a URL would be kept by every
access log and proxy on the way, which is what an erasure request asks to end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from application.vocabulary import Principal, Scope, address_problem, normalize_address
from entrypoints.api.auth import Caller, State
from entrypoints.api.problems import ProblemError, problem_responses

router = APIRouter(tags=["people"], responses=problem_responses(401, 403, 422))

_ADMINS_ONLY = "only admin keys export or erase a person's data"


class PersonRequest(BaseModel):
    """The person a request is about, by address."""

    address: str = Field(max_length=320)


class ErasureOut(BaseModel):
    """What erasing a person did. Their address now reads as ``placeholder`` everywhere, and
    they are never mailed again."""

    placeholder: str = Field(description="What the person's address reads as from now on.")
    already: bool = Field(description="Whether they had been erased before (nothing new).")
    streams: int = Field(description="Records about them whose personal fields were sealed.")
    invitations: int
    view_rows: int
    messages_deleted: int = Field(description="Raw messages they sent, deleted.")
    messages_redacted: int = Field(
        description="Others' kept messages and uploaded lists naming them, redacted."
    )
    copies_deleted: int = Field(description="Kept copies of mail sent to them, deleted.")
    copies_redacted: int = Field(description="Kept copies of other mail naming them, redacted.")


class ExportOut(BaseModel):
    """Everything recorded about a person: each record (a delivery, replies, a suppression,
    a receipt of their mail…) with its events."""

    address: str
    erased_at: datetime | None
    records: list[dict[str, Any]]


def _admin(caller: Principal) -> None:
    if caller.kind != Scope.ADMIN:
        raise ProblemError(403, _ADMINS_ONLY)


def _address(value: str) -> str:
    address = normalize_address(value)
    problem = address_problem(address)
    if problem is not None:
        raise ProblemError(422, f"the address is not an address: {problem}")
    return address


@router.post("/people/export", response_model=ExportOut)
def export_person(request: PersonRequest, caller: Caller, state: State) -> ExportOut:
    """Everything recorded about the person at ``address`` (an access request; admin keys)."""
    _admin(caller)
    state.limit_key(caller.key_id)
    return ExportOut(**state.doors.privacy.export(_address(request.address)))


@router.post("/people/erasures", response_model=ErasureOut)
def erase_person(request: PersonRequest, caller: Caller, state: State) -> ErasureOut:
    """Erase the person at ``address`` (admin keys): their personal data becomes unreadable in
    every event and snapshot, their rows in the views and their mail are removed, counts stay,
    and they are never mailed again. Erasing again changes nothing new."""
    _admin(caller)
    state.limit_key(caller.key_id)
    erasure = state.doors.privacy.erase(_address(request.address), now=datetime.now(UTC))
    return ErasureOut(**erasure.as_dict())
