"""Lists and totals over organizers, domains, upcoming invites and the whole system."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from application.vocabulary import Scope, normalize_address
from entrypoints.api.auth import Caller, State
from entrypoints.api.models import InviteSummary, Totals
from entrypoints.api.pagination import Page, Paging, page_of
from entrypoints.api.problems import FieldError, ProblemError, problem_responses

router = APIRouter(tags=["dashboards"], responses=problem_responses(401, 403, 422))
PAGE_ERRORS = problem_responses(400)


def forbidden(what: str) -> ProblemError:
    """Return the 403 for a list the key may not read."""
    return ProblemError(403, f"this API key may not read {what}")


def _organizer(caller: Caller, address: str) -> str:
    organizer = normalize_address(address)
    if not caller.may_read_organizer(organizer):
        raise forbidden(f"the invites of {organizer}")
    return organizer


def _domain(caller: Caller, domain: str) -> str:
    name = domain.strip().lower()
    if not caller.may_read_domain(name):
        raise forbidden(f"the invites of the domain {name}")
    return name


@router.get(
    "/invites",
    response_model=Page[InviteSummary],
    responses=PAGE_ERRORS,
    summary="Every invite (admin keys only)",
)
def all_invites(caller: Caller, state: State, paging: Paging) -> dict[str, Any]:
    """Every invite of every organizer, newest change first (admin keys only).

    A domain owner's key reads its domain's at `/v1/domains/{domain}/invites`, an organizer's
    key its own at `/v1/organizers/{address}/invites`: for them this is a 403 that says so.
    """
    if caller.kind != Scope.ADMIN:
        raise forbidden(f"every invite (admin keys only): read {_own_listing(caller)}")
    page = state.doors.reading.views.all_invites(cursor=paging.cursor, limit=paging.limit)
    return page_of(page.items, page.cursor)


def _own_listing(caller: Caller) -> str:
    """Return where a key that is not an admin's lists the invites it may read."""
    if caller.kind == Scope.DOMAIN:
        return f"/v1/domains/{caller.subject}/invites"
    return f"/v1/organizers/{caller.subject}/invites"


@router.get(
    "/organizers/{address}/invites", response_model=Page[InviteSummary], responses=PAGE_ERRORS
)
def organizer_invites(
    address: str,
    caller: Caller,
    state: State,
    paging: Paging,
    sort: Annotated[Literal["modified", "start"], Query()] = "modified",
) -> dict[str, Any]:
    """An organizer's invites, newest change first (sort=modified) or soonest start first."""
    organizer = _organizer(caller, address)
    page = state.doors.reading.views.organizer_invites(
        organizer, sort=sort, cursor=paging.cursor, limit=paging.limit
    )
    return page_of(page.items, page.cursor)


@router.get(
    "/organizers/{address}/statistics", response_model=Totals, response_model_exclude_none=True
)
def organizer_statistics(address: str, caller: Caller, state: State) -> dict[str, Any]:
    """An organizer's totals: invites, cancelled, active, updates, counter proposals."""
    return state.doors.reading.views.organizer_statistics(_organizer(caller, address))


@router.get("/upcoming", response_model=Page[InviteSummary], responses=PAGE_ERRORS)
def upcoming(
    caller: Caller,
    state: State,
    paging: Paging,
    organizer: Annotated[str | None, Query(max_length=254)] = None,
    domain: Annotated[str | None, Query(max_length=253)] = None,
) -> dict[str, Any]:
    """Invites not cancelled that start from now on, soonest first, of one organizer or domain.

    Without either, an organizer's or a domain's key reads its own.
    """
    if organizer is None and domain is None:
        if caller.kind == Scope.ORGANIZER:
            organizer = caller.subject
        elif caller.kind == Scope.DOMAIN:
            domain = caller.subject
    if (organizer is None) == (domain is None):
        raise ProblemError(
            422,
            "name exactly one of organizer or domain",
            kind="validation",
            title="Invalid request",
            errors=[
                FieldError(location=["query", name], message="name exactly one", type="value_error")
                for name in ("organizer", "domain")
            ],
        )
    page = state.doors.reading.views.upcoming(
        now=datetime.now(UTC),
        organizer=_organizer(caller, organizer) if organizer is not None else None,
        domain=_domain(caller, domain) if domain is not None else None,
        cursor=paging.cursor,
        limit=paging.limit,
    )
    return page_of(page.items, page.cursor)


@router.get("/domains/{domain}/invites", response_model=Page[InviteSummary], responses=PAGE_ERRORS)
def domain_invites(domain: str, caller: Caller, state: State, paging: Paging) -> dict[str, Any]:
    """Every invite of a domain's organizers, newest change first."""
    page = state.doors.reading.views.domain_invites(
        _domain(caller, domain), cursor=paging.cursor, limit=paging.limit
    )
    return page_of(page.items, page.cursor)


@router.get("/domains/{domain}/statistics", response_model=Totals, response_model_exclude_none=True)
def domain_statistics(domain: str, caller: Caller, state: State) -> dict[str, Any]:
    """A domain's totals."""
    return state.doors.reading.views.domain_statistics(_domain(caller, domain))


@router.get("/system/statistics", response_model=Totals, response_model_exclude_none=True)
def system_statistics(caller: Caller, state: State) -> dict[str, Any]:
    """The whole server's totals (admin keys only)."""
    if caller.kind != Scope.ADMIN:
        raise forbidden("the system's statistics (admin keys only)")
    return state.doors.reading.views.system_statistics()
