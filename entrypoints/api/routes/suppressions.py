"""The suppression list for admin keys; counts (never addresses) for organizers' keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from application.access import check_readable
from application.outbound.suppressions import SuppressionReason, SuppressionView
from application.vocabulary import Principal, Scope, address_problem, normalize_address
from entrypoints.api.auth import Caller, State
from entrypoints.api.problems import ProblemError, problem_responses

router = APIRouter(tags=["suppressions"], responses=problem_responses(401, 403, 422))

_ADMINS_ONLY = (
    "only admin keys see or change the suppression list; an organizer's key may read its "
    "counts: GET /v1/suppressions/counts"
)
_ORGANIZER = Query(
    max_length=320,
    description="An organizer's address: only that organizer's invitations. Omitted: every "
    "organizer's (server-wide).",
)


class SuppressionOut(BaseModel):
    """One suppression: no invitation of ``scope`` (an organizer, or ``all``) goes to
    ``address``."""

    address: str
    scope: str = Field(description="The organizer's address, or `all` for every organizer.")
    reason: SuppressionReason
    since: datetime

    @classmethod
    def of(cls, view: SuppressionView) -> SuppressionOut:
        """Return the API's shape of a suppression."""
        return cls(
            address=view.address,
            scope=view.scope,
            reason=SuppressionReason(view.reason),
            since=view.since,
        )


class SuppressionList(BaseModel):
    """The suppressions in force."""

    suppressions: list[SuppressionOut]


class SuppressionRequest(BaseModel):
    """Suppress an address: for one organizer, or (without one) for every organizer."""

    address: str = Field(max_length=320)
    organizer: str | None = Field(default=None, max_length=320)
    reason: SuppressionReason = SuppressionReason.ADMIN


class SuppressionCountsOut(BaseModel):
    """How many addresses no invitation of the organizer goes to, by reason: those who
    unsubscribed from (or were suppressed for) this organizer, and server-wide. Counts only:
    nobody but an administrator learns who unsubscribed from everyone."""

    organizer: str
    own: dict[str, int]
    everywhere: dict[str, int]


def _admin(caller: Principal) -> None:
    if caller.kind != Scope.ADMIN:
        raise ProblemError(403, _ADMINS_ONLY)


def _address(value: str, what: str = "address") -> str:
    address = normalize_address(value)
    problem = address_problem(address)
    if problem is not None:
        raise ProblemError(422, f"the {what} is not an address: {problem}")
    return address


def _scope(value: str | None) -> str | None:
    return _address(value, "organizer") if value is not None else None


@router.get("/suppressions", response_model=SuppressionList)
def list_suppressions(
    caller: Caller,
    state: State,
    organizer: Annotated[str | None, _ORGANIZER] = None,
    address: Annotated[
        str | None, Query(max_length=320, description="Only this address's suppressions.")
    ] = None,
) -> SuppressionList:
    """Every suppression in force (admin keys only): those that keep ``organizer``'s mail
    (server-wide ones included) when given, an ``address``'s when given."""
    _admin(caller)
    suppressions = state.doors.outbound.suppressions
    scope = _scope(organizer)
    if address is not None:
        wanted = {"all", scope} if scope is not None else None
        views = [
            view
            for view in suppressions.of(_address(address))
            if wanted is None or view.scope in wanted
        ]
    else:
        views = suppressions.list(scope)
    return SuppressionList(suppressions=[SuppressionOut.of(view) for view in views])


@router.get(
    "/suppressions/counts", response_model=SuppressionCountsOut, responses=problem_responses(404)
)
def suppression_counts(
    caller: Caller,
    state: State,
    organizer: Annotated[
        str | None,
        Query(
            max_length=320,
            description="The organizer (an organizer's key: its own, the default).",
        ),
    ] = None,
) -> SuppressionCountsOut:
    """How many addresses are suppressed for an organizer and server-wide, by reason."""
    if organizer is None and caller.kind == Scope.ORGANIZER and caller.subject:
        organizer = caller.subject
    if organizer is None:
        raise ProblemError(422, "name the organizer: ?organizer=ADDRESS")
    wanted = _address(organizer, "organizer")
    check_readable(caller, wanted)
    counts = state.doors.outbound.suppressions.counts(wanted)
    return SuppressionCountsOut(
        organizer=counts.organizer, own=counts.own, everywhere=counts.everywhere
    )


@router.post("/suppressions", response_model=SuppressionOut, status_code=201)
def add_suppression(request: SuppressionRequest, caller: Caller, state: State) -> SuppressionOut:
    """Suppress an address (admin keys only); adding it again changes nothing."""
    _admin(caller)
    state.limit_key(caller.key_id)
    view = state.doors.outbound.suppressions.suppress(
        _address(request.address),
        _scope(request.organizer),
        request.reason,
        now=datetime.now(UTC),
    )
    return SuppressionOut.of(view)


@router.delete("/suppressions", status_code=204, responses=problem_responses(404))
def lift_suppression(
    caller: Caller,
    state: State,
    address: Annotated[str, Query(max_length=320, description="The suppressed address.")],
    organizer: Annotated[str | None, _ORGANIZER] = None,
) -> Response:
    """Lift an address's suppression for one organizer, or the server-wide one (admin keys
    only); its other suppressions stay. 404 when there was none."""
    _admin(caller)
    state.limit_key(caller.key_id)
    lifted = state.doors.outbound.suppressions.lift(
        _address(address), _scope(organizer), now=datetime.now(UTC)
    )
    if not lifted:
        raise ProblemError(404, "that address is not suppressed in that scope")
    return Response(status_code=204)
