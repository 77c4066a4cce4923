"""What every request of the API shares: the front doors, the rate limits, the views' lag."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIRouter

from application.front_doors import FrontDoors
from entrypoints.api.problems import ProblemError
from entrypoints.api.ratelimit import RateLimiter
from entrypoints.container import Container


@dataclass
class ApiState:
    """The API's dependencies, made once per app. Routes reach use cases through ``doors``
    only; the container is kept for settings and the views' lag."""

    container: Container
    per_key: RateLimiter
    per_ip: RateLimiter
    # True where the views follow this process's notification log (embedded and memory
    # backends, kept current by the server's background runner): reads then say how many
    # events they lag behind. False where a change stream projects them elsewhere (AWS).
    # Either way a read never projects: a GET writes nothing.
    views_local: bool = True

    @property
    def doors(self) -> FrontDoors:
        """Return the application's front doors."""
        doors: FrontDoors = self.container.front_doors()
        return doors

    def views_pending(self) -> int | None:
        """Return how many stored events the views have not projected yet (None: unknown
        here, as where a change stream projects them)."""
        if not self.views_local:
            return None
        pending: int = self.container.projections().pending()
        return pending

    def limit_key(self, key_id: str) -> None:
        """Spend one request of an API key's allowance; raise a 429 problem when spent."""
        _enforce(self.per_key, f"key:{key_id}", "this API key")

    def limit_ip(self, request: Request) -> None:
        """Spend one request of the client address's allowance; raise a 429 problem when spent."""
        host = request.client.host if request.client else "unknown"
        _enforce(self.per_ip, f"ip:{host}", "this address")


def _enforce(limiter: RateLimiter, key: str, who: str) -> None:
    wait = limiter.take(key)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise ProblemError(
            429,
            f"too many requests from {who}: try again in {seconds} s",
            kind="rate-limited",
            headers={"Retry-After": str(seconds)},
        )


# On every GET answer where it is known: how many stored events the views lag behind
# (0: current). The views are kept current in the background, never by the read itself.
VIEWS_PENDING_HEADER = "X-Views-Pending"


async def api_state(request: Request, response: Response) -> ApiState:
    """Return the app's shared state (a FastAPI dependency); a GET says how fresh the views
    are that it reads.

    Run on the event loop: the views' lag is two indexed reads, shorter than the hand-off to
    a worker thread and back that a plain function would cost every request.
    """
    state: ApiState = request.app.state.api
    if request.method == "GET":
        pending = state.views_pending()
        if pending is not None:
            response.headers[VIEWS_PENDING_HEADER] = str(pending)
    return state


_VIEWS_PENDING_DOC = {
    "description": (
        "How many stored events the dashboards' views have not projected yet (0: current). "
        "Absent where the views are projected elsewhere (a change stream)."
    ),
    "schema": {"type": "integer", "minimum": 0},
}


def document_views_pending(app: FastAPI, routers: Iterable[APIRouter], prefix: str) -> None:
    """Document the views' lag header on the success of every GET that sends it, of the
    ``routers`` that ``app`` includes under ``prefix``.

    Those are the GETs that depend on ``api_state`` and whose answer FastAPI renders from
    a response model: a route that returns its own ``Response`` (the public HTML pages and
    calendar files) does not carry the headers its dependencies set.
    """
    generate = app.openapi
    sending = [
        prefix + route.path_format
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        and "GET" in (route.methods or ())
        and route.response_model is not None
        and _depends_on(route.dependant, api_state)
    ]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            paths = generate()["paths"]
            for path in sending:
                success = paths[path]["get"]["responses"]["200"]
                success.setdefault("headers", {})[VIEWS_PENDING_HEADER] = _VIEWS_PENDING_DOC
        return generate()  # FastAPI keeps the document it made: this is the one changed

    app.openapi = openapi  # type: ignore[method-assign]


def _depends_on(dependant: Dependant, call: object) -> bool:
    """Return whether ``dependant`` needs ``call``, directly or through other dependencies."""
    return any(sub.call is call or _depends_on(sub, call) for sub in dependant.dependencies)
