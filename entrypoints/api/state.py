"""What every request of the API shares: the container, the rate limiters, the views' refresh."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from fastapi import Request

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
    # Embedded and memory backends bring the views up to date before each read; a deployment
    # that projects in the background turns it off.
    refresh_views: bool = True
    _refreshing: threading.Lock = field(default_factory=threading.Lock)

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
        """Return the dashboards' reads, brought up to date first when so configured."""
        if self.refresh_views:
            with self._refreshing:  # one projector at a time; the others wait, then read
                self.container.projections().run()
        reports: Reports = self.container.reports()
        return reports

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


def api_state(request: Request) -> ApiState:
    """Return the app's shared state (a FastAPI dependency)."""
    state: ApiState = request.app.state.api
    return state
