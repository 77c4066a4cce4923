"""RFC 9457 problem details: every error the API answers is ``application/problem+json``."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.access import NotAllowedError, NotVisibleError
from application.errors import AmbiguousInviteError, InviteNotFoundError
from application.ports import ListTooLargeError, UnreadableListError
from application.projections.queries import InvalidCursorError

PROBLEM_JSON = "application/problem+json"
NOT_FOUND = "nothing here has that id, or this key may not read it"
log = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One invalid part of a request: where it is, and what is wrong with it."""

    location: list[str | int]
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raised by a route to answer with a problem; ``kind`` names its ``type``."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.title = title
        self.headers = headers or {}
        self.errors = errors


def not_found(what: str = NOT_FOUND) -> ProblemError:
    """Return the 404 used alike for what does not exist and what the caller may not see."""
    return ProblemError(404, what)


def problem_type(kind: str | None) -> str:
    """Return the ``type`` URI of a problem kind (about:blank when the status says it all)."""
    return f"urn:calendar-invite-server:problem:{kind}" if kind else "about:blank"


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    kind: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
) -> JSONResponse:
    """Return a problem+json response for ``request``."""
    body = Problem(
        type=problem_type(kind),
        title=title or _phrase(status),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def field_errors(errors: Any) -> list[FieldError]:
    """Return pydantic's or FastAPI's validation errors as JSON-safe field errors."""
    return [
        FieldError(
            location=[part if isinstance(part, int) else str(part) for part in e.get("loc", ())],
            message=str(e.get("msg", "invalid")),
            type=str(e.get("type", "value_error")),
        )
        for e in errors
    ]


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem, and no exception's internals reach a client."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(
            request,
            exc.status,
            exc.detail,
            kind=exc.kind,
            title=exc.title,
            headers=exc.headers,
            errors=exc.errors,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(
            request, exc.status_code, str(exc.detail), headers=dict(exc.headers or {})
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(
            request,
            422,
            "the request is not valid: see errors",
            kind="validation",
            title="Invalid request",
            errors=field_errors(exc.errors()),
        )

    async def on_cursor(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, 400, str(exc), kind="invalid-cursor")

    async def on_missing(request: Request, exc: Exception) -> JSONResponse:
        # Alike for what does not exist and what the caller may not see (NotVisibleError).
        return problem_response(request, 404, NOT_FOUND)

    async def on_not_allowed(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, 403, str(exc))

    async def on_unreadable_list(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, ListTooLargeError):
            return problem_response(request, 413, str(exc), kind="too-large")
        return problem_response(request, 422, str(exc), kind="unreadable-list")

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(request, 500, "the server failed; the failure was logged")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(InvalidCursorError, on_cursor)
    app.add_exception_handler(InviteNotFoundError, on_missing)
    app.add_exception_handler(AmbiguousInviteError, on_missing)
    app.add_exception_handler(NotVisibleError, on_missing)
    app.add_exception_handler(NotAllowedError, on_not_allowed)
    app.add_exception_handler(UnreadableListError, on_unreadable_list)
    app.add_exception_handler(Exception, on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return the OpenAPI ``responses`` entries of the problems a route may answer."""
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": _phrase(status),
        }
        for status in statuses
    }
