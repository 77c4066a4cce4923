"""What every request of the API shares: the container, the rate limiters, the views' freshness."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import Request, Response

from application.projections.queries import Reports
from application.send_types import OutboundSettings
from application.service import InviteService
from entrypoints.api.problems import ProblemError
from entrypoints.api.ratelimit import RateLimiter
from entrypoints.container import Container


@dataclass
class ApiState:
    """The API's dependencies, made once per app."""

    container: Container
    per_key: RateLimiter
    per_ip: RateLimiter
    # True where the views follow this process's notification log (embedded and memory
    # backends, kept current by the server's background runner): reads then say how many
    # events they lag behind. False where a change stream projects them (AWS). Either way a
    # read never projects: a GET writes nothing.
    refresh_views: bool = True

    @property
    def service(self) -> InviteService:
        """Return the invite service."""
        service: InviteService = self.container.service()
        return service

    @property
    def outbound(self) -> OutboundSettings:
        """Return the sending settings (the container always configures them)."""
        outbound = self.service.outbound
        if outbound is None:  # pragma: no cover - only hand-built services lack them
            raise RuntimeError("sending is not configured")
        return outbound

    def reports(self) -> Reports:
        """Return the dashboards' reads over the views as they are (nothing is projected)."""
        reports: Reports = self.container.reports()
        return reports

    def views_pending(self) -> int | None:
        """Return how many stored events the views have not projected yet (None: unknown
        here, as where a change stream projects them)."""
        if not self.refresh_views:
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


def api_state(request: Request, response: Response) -> ApiState:
    """Return the app's shared state (a FastAPI dependency); a GET says how fresh the views
    are that it reads."""
    state: ApiState = request.app.state.api
    if request.method == "GET":
        pending = state.views_pending()
        if pending is not None:
            response.headers[VIEWS_PENDING_HEADER] = str(pending)
    return state
