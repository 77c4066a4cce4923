"""Sending an invite to a CSV list from its page: upload, preview, type YES, send.

As the original VIP-list tab: nothing is sent until the organizer has seen the preview (usable
rows, invalid rows and duplicates by line number) and typed YES. The preview's confirmation
token (``Outbound.preview_list``) travels in a hidden field: only whoever saw the preview of
that list for that invite can send it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from application.outbound.front_door import ListGoneError, ListPreview
from application.ports import ListTooLargeError, UnreadableListError
from entrypoints.api.state import ApiState
from entrypoints.web.acting_on import Acting, as_text, posting, refused
from entrypoints.web.action_words import as_sentence, outcome_counts, outcome_sentence
from entrypoints.web.pages import page
from entrypoints.web.signed import SessionCookie, doors, now

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=128)]
# Rows of each kind a page lists; the counts always cover them all.
SHOWN = 500
_UPLOAD_ID = re.compile(r"[0-9a-f]{64}")


@router.post("/invites/{invite_id}/list")
def upload(
    request: Request,
    invite_id: str,
    csrf: Csrf = "",
    file: Annotated[UploadFile | None, File()] = None,
    session: SessionCookie = None,
) -> Response:
    """Read an uploaded list and show what sending it would do; nothing is sent yet."""
    who = posting(request, session, csrf, invite_id)
    if not isinstance(who, Acting):
        return who
    state: ApiState = request.app.state.api
    limit = state.container.settings().list_max_bytes
    if file is None:
        return refused(who.current, 422, "No list", "Choose a CSV file to upload.", who.ref)
    data = file.file.read(limit + 1)
    if len(data) > limit:
        return refused(
            who.current,
            413,
            "That list is too large",
            f"A list may have at most {limit} bytes.",
            who.ref,
        )
    try:
        preview = doors(request).outbound.preview_list(who.ref, data)
    except UnreadableListError as error:
        status = 413 if isinstance(error, ListTooLargeError) else 422
        return refused(who.current, status, "That list cannot be read", as_text(error), who.ref)
    return _preview(request, who, preview)


@router.post("/invites/{invite_id}/list/{upload_id}/send")
def send_list(
    request: Request,
    invite_id: str,
    upload_id: str,
    csrf: Csrf = "",
    confirmation: Annotated[str, Form(max_length=128)] = "",
    typed: Annotated[str, Form(max_length=64)] = "",
    session: SessionCookie = None,
) -> Response:
    """Send the previewed list once the organizer typed YES; else show the preview again."""
    who = posting(request, session, csrf, invite_id)
    if not isinstance(who, Acting):
        return who
    outbound = doors(request).outbound
    if not _UPLOAD_ID.fullmatch(upload_id) or not outbound.confirms_list(
        who.invite, upload_id, confirmation
    ):
        return _gone(who)
    try:
        if typed.strip().upper() != "YES":
            preview = outbound.preview_upload(who.ref, upload_id)
            return _preview(request, who, preview, error=True, status=400)
        at = now()
        results = outbound.send_list(who.ref, upload_id, now=at)
    except ListGoneError:
        return _gone(who)
    warnings = doors(request).reading.send_warnings(who.ref, now=at)
    queued = any(r.outcome.value == "queued" for r in results)
    return page(
        "action_list_sent.html.j2",
        **who.context(
            counts=outcome_counts(results),
            rows=[(r.address, r.outcome.value, outcome_sentence(r)) for r in results[:SHOWN]],
            more=max(0, len(results) - SHOWN),
            warnings=[as_sentence(w) for w in warnings],
            queued=queued,
        ),
    )


def _preview(
    request: Request, who: Acting, preview: ListPreview, *, error: bool = False, status: int = 200
) -> Response:
    warnings = doors(request).reading.send_warnings(who.ref, now=now())
    context: dict[str, Any] = {
        "upload_id": preview.upload_id,
        "confirmation": preview.confirmation,
        "usable": len(preview.recipients),
        "invalid": [
            (row.line, row.address, as_sentence(row.problem, "unusable"))
            for row in preview.invalid[:SHOWN]
        ],
        "invalid_count": len(preview.invalid),
        "repeated": [(row.line, row.address, row.first_line) for row in preview.repeated[:SHOWN]],
        "repeated_count": preview.duplicates,
        "warnings": [as_sentence(w) for w in warnings],
        "error": error,
        "shown": SHOWN,
    }
    return page("action_preview.html.j2", status=status, **who.context(**context))


def _gone(who: Acting) -> Response:
    return refused(
        who.current,
        404,
        "That list is not kept",
        "No list was previewed for this invitation with that confirmation, or it is no "
        "longer kept: upload it again.",
        who.ref,
    )
