"""Administration pages for administrators only: API keys (create, the token shown once,
list, revoke) and the health of sending.

A domain's owner, or anyone else, gets the same 404 page as for a page that does not exist.
A new key's token is on the page the creating POST answers with, and nowhere else ever:
the store keeps only its hash, and the pages list keys by their id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from application.admin.health import sending_health
from application.admin.keys import InvalidSubjectError, UnknownApiKeyError
from application.sessions.front_door import SignedInAs
from application.vocabulary import Scope
from entrypoints.web.admin_pages import administrator
from entrypoints.web.pages import page
from entrypoints.web.signed import (
    SessionCookie,
    doors,
    now,
    shown,
)

router = APIRouter(include_in_schema=False)
SCOPES = {scope.value: scope for scope in Scope}


def _context(current: SignedInAs) -> dict[str, Any]:
    return {**shown(current), "is_admin": True}


@router.get("/keys")
def keys(request: Request, session: SessionCookie = None) -> Response:
    """Every API key, oldest first, with its status; the form that creates one."""
    current = administrator(request, session)
    if not isinstance(current, SignedInAs):
        return current
    return _keys_page(request, current)


@router.post("/keys")
def create_key(
    request: Request,
    csrf: Annotated[str, Form(max_length=128)] = "",
    scope: Annotated[str, Form(max_length=20)] = "",
    subject: Annotated[str, Form(max_length=254)] = "",
    label: Annotated[str, Form(max_length=200)] = "",
    session: SessionCookie = None,
) -> Response:
    """Issue a key and show its token, this once."""
    current = administrator(request, session, csrf)
    if not isinstance(current, SignedInAs):
        return current
    kind = SCOPES.get(scope)
    if kind is None:
        return _keys_page(request, current, problem="Choose what the key may read.")
    try:
        key, token = doors(request).admin.keys.create(
            kind, subject.strip() or None, label.strip() or None, now()
        )
    except InvalidSubjectError as error:
        return _keys_page(request, current, problem=_sentence(str(error)))
    return page(
        "admin_key_created.html.j2", key=key, kind=kind.value, token=token, **_context(current)
    )


@router.post("/keys/{key_id}/revoke")
def revoke_key(
    request: Request,
    key_id: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    session: SessionCookie = None,
) -> Response:
    """Revoke a key: requests made with it are refused from now on."""
    current = administrator(request, session, csrf)
    if not isinstance(current, SignedInAs):
        return current
    try:
        doors(request).admin.keys.revoke(key_id, reason.strip() or None, now())
    except UnknownApiKeyError:
        return _keys_page(request, current, problem="There is no key with that id.")
    return RedirectResponse("/admin/keys?done=revoked", status_code=303)


@router.get("/sending")
def sending(request: Request, session: SessionCookie = None) -> Response:
    """The health of sending: pending, failed, bounced, held for review, quarantined replies."""
    current = administrator(request, session)
    if not isinstance(current, SignedInAs):
        return current
    return page(
        "admin_sending.html.j2", health=sending_health(doors(request).reading), **_context(current)
    )


def _keys_page(request: Request, current: SignedInAs, problem: str | None = None) -> Response:
    revoked = request.query_params.get("done") == "revoked"
    return page(
        "admin_keys.html.j2",
        status=400 if problem else 200,
        keys=doors(request).admin.keys.list(),
        scopes=list(SCOPES),
        problem=problem,
        message="The key is revoked." if revoked and not problem else None,
        **_context(current),
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
