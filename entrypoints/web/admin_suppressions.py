"""The suppression list in the administration pages, for administrators only: who the
server does not mail, for which organizer or for all, why and since when; add and lift.

Owners of a domain do not see it: it names people who unsubscribed from every organizer,
which no organizer may see (they get counts through the API).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from application.outbound.suppressions import SuppressionReason
from application.sessions.front_door import SignedInAs
from application.vocabulary import address_problem, normalize_address
from entrypoints.web.admin_pages import administrator
from entrypoints.web.pages import page
from entrypoints.web.signed import (
    SessionCookie,
    doors,
    now,
    shown,
)

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form(max_length=254)]
Csrf = Annotated[str, Form(max_length=128)]
DONE = {"added": "The address is suppressed.", "lifted": "The suppression is lifted."}


@router.get("/suppressions")
def suppressions(request: Request, session: SessionCookie = None) -> Response:
    """Every suppression in force, and the form that adds one."""
    current = administrator(request, session)
    if not isinstance(current, SignedInAs):
        return current
    return _listed(request, current, message=DONE.get(request.query_params.get("done", "")))


@router.post("/suppressions")
def add(
    request: Request,
    csrf: Csrf = "",
    address: Field = "",
    organizer: Field = "",
    session: SessionCookie = None,
) -> Response:
    """Suppress an address for one organizer, or for every organizer when none is given."""
    current = administrator(request, session, csrf)
    if not isinstance(current, SignedInAs):
        return current
    addressee, problem = _checked(address, "The address")
    scope, scope_problem = (
        _checked(organizer, "The organizer") if organizer.strip() else (None, None)
    )
    if problem or scope_problem:
        return _listed(request, current, problem=problem or scope_problem)
    doors(request).outbound.suppressions.suppress(
        addressee, scope, SuppressionReason.ADMIN, now=now()
    )
    return RedirectResponse("/admin/suppressions?done=added", status_code=303)


@router.post("/suppressions/lift")
def lift(
    request: Request,
    csrf: Csrf = "",
    address: Field = "",
    scope: Field = "",
    session: SessionCookie = None,
) -> Response:
    """Lift one suppression (one address, one scope); the address's others stay."""
    current = administrator(request, session, csrf)
    if not isinstance(current, SignedInAs):
        return current
    organizer = None if scope == "all" else normalize_address(scope)
    if not doors(request).outbound.suppressions.lift(
        normalize_address(address), organizer, now=now()
    ):
        return _listed(request, current, problem="That address was not suppressed there.")
    return RedirectResponse("/admin/suppressions?done=lifted", status_code=303)


def _checked(value: str, what: str) -> tuple[str, str | None]:
    address = normalize_address(value)
    problem = address_problem(address)
    return address, None if problem is None else f"{what} is not usable: {problem}."


def _listed(
    request: Request,
    current: SignedInAs,
    *,
    message: str | None = None,
    problem: str | None = None,
) -> Response:
    return page(
        "admin_suppressions.html.j2",
        status=400 if problem else 200,
        suppressions=doors(request).outbound.suppressions.list(),
        message=message,
        problem=problem,
        is_admin=True,
        **shown(current),
    )
