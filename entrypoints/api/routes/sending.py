"""Acting on an invite: send it to one person or a CSV list (preview, then confirm),
release a held update, cancel it. Only its organizer's keys and admin keys may."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Path, Request, UploadFile

from application.outbound.front_door import ListGoneError
from application.send_types import Recipient
from entrypoints.api.auth import Caller, State
from entrypoints.api.models import (
    BulkConfirm,
    BulkPreview,
    CancelResult,
    NewRecipient,
    SendResults,
    SentToOne,
    results_body,
)
from entrypoints.api.problems import ProblemError, not_found, problem_responses

router = APIRouter(tags=["sending"], responses=problem_responses(401, 403, 404, 422, 429))

MAX_PROBLEMS = 1000
UploadId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The list's SHA-256.")]


@router.post("/invites/{invite_id}/recipients", response_model=SentToOne)
def add_recipient(
    invite_id: UUID, body: NewRecipient, caller: Caller, state: State
) -> dict[str, Any]:
    """Send the invite's current version to one recipient (once per version); ``warnings``
    say when the event is already over (it is sent all the same)."""
    state.doors.reading.invite_for(caller, invite_id)
    state.limit_key(caller.key_id)
    recipient = Recipient(body.address, body.name, body.origin)
    now = datetime.now(UTC)
    (result,) = state.doors.outbound.send(str(invite_id), [recipient], now=now)
    warnings = state.doors.reading.send_warnings(str(invite_id), now=now)
    return {**result.as_dict(), "warnings": warnings}


@router.post(
    "/invites/{invite_id}/bulk",
    response_model=BulkPreview,
    status_code=201,
    responses=problem_responses(413),
)
def upload_list(
    invite_id: UUID,
    request: Request,
    caller: Caller,
    state: State,
    file: Annotated[UploadFile, File(description="CSV: email[,name], header row optional.")],
) -> dict[str, Any]:
    """Upload a recipient list; answer what confirming it would send, and nothing is sent yet.

    Unusable rows (``problems``) and rows repeating an earlier row's address (``repeated``)
    are listed by line; ``warnings`` say when the event is already over."""
    state.doors.reading.invite_for(caller, invite_id)
    state.limit_key(caller.key_id)
    limit = state.container.settings().list_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise ProblemError(413, f"a list may have at most {limit} bytes", kind="too-large")
    # A list that is not CSV is a 422 problem (install_problem_handlers), nothing kept.
    preview = state.doors.outbound.preview_list(str(invite_id), data)
    upload_id = preview.upload_id
    confirm = request.url_for("confirm_list", invite_id=str(invite_id), upload_id=upload_id)
    return {
        "invite": str(invite_id),
        "upload_id": upload_id,
        "confirmation": preview.confirmation,
        "usable": len(preview.recipients),
        "duplicates": preview.duplicates,
        "invalid": len(preview.invalid),
        "problems": [
            {"line": row.line, "address": row.address, "problem": row.problem or "unusable"}
            for row in preview.invalid[:MAX_PROBLEMS]
        ],
        "repeated": [
            {
                "line": row.line,
                "address": row.address,
                "first_line": row.first_line,
                "reason": row.reason,
            }
            for row in preview.repeated[:MAX_PROBLEMS]
        ],
        "confirm_url": str(confirm),
        "warnings": state.doors.reading.send_warnings(str(invite_id), now=datetime.now(UTC)),
    }


@router.post(
    "/invites/{invite_id}/bulk/{upload_id}/confirm",
    response_model=SendResults,
    name="confirm_list",
)
def confirm_list(
    invite_id: UUID, upload_id: UploadId, body: BulkConfirm, caller: Caller, state: State
) -> dict[str, Any]:
    """Send an uploaded list (origin ``bulk``); the preview's confirmation token is required.

    The results answer every row: ``invalid`` and ``duplicate`` rows (their reasons name the
    line, and the earlier line a duplicate repeats) first, then each send."""
    state.doors.reading.invite_for(caller, invite_id)
    outbound = state.doors.outbound
    if not outbound.confirms_list(invite_id, upload_id, body.confirmation):
        raise not_found("no list was uploaded for this invite with that id and confirmation")
    state.limit_key(caller.key_id)
    now = datetime.now(UTC)
    try:
        results = outbound.send_list(str(invite_id), upload_id, now=now)
    except ListGoneError:
        raise not_found("the uploaded list is no longer kept: upload it again") from None
    warnings = state.doors.reading.send_warnings(str(invite_id), now=now)
    return results_body([r.as_dict() for r in results], warnings)


@router.post("/invites/{invite_id}/approve", response_model=SendResults)
def approve(invite_id: UUID, caller: Caller, state: State) -> dict[str, Any]:
    """Release an update held for review and send it to everyone who received the invite."""
    state.doors.reading.invite_for(caller, invite_id)
    state.limit_key(caller.key_id)
    results = state.doors.outbound.approve(str(invite_id), now=datetime.now(UTC))
    return results_body([r.as_dict() for r in results])


@router.post("/invites/{invite_id}/cancel", response_model=CancelResult)
def cancel(invite_id: UUID, caller: Caller, state: State) -> dict[str, Any]:
    """Cancel the whole invite, as a CANCEL from its organizer would, for everyone."""
    state.doors.reading.invite_for(caller, invite_id)
    state.limit_key(caller.key_id)
    result = state.doors.inbound.cancel(
        str(invite_id), now=datetime.now(UTC), by=f"api-key:{caller.key_id}"
    )
    shown = result.as_dict()
    return {key: shown[key] for key in ("outcome", "invite", "sequence", "reason")}
