"""One log record per HTTP request: method, route template, status and time taken.

The path itself is never logged: it can carry a secret (``/v1/rsvp/<token>``), so a request is
named by the template of the route it matched (``/v1/rsvp/{token}``), or ``unmatched``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.routing import replace_params
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("cis.http")
UNMATCHED = "unmatched"


class AccessLog:
    """ASGI middleware logging each HTTP request to ``cis.http`` once its response is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # A request that dies before its response starts is answered 500 further out.
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            took = (time.perf_counter() - started) * 1000
            method, route = str(scope.get("method", "")), route_template(scope)
            log.info(
                "http %s %s %d %.1f ms",
                method,
                route,
                status,
                took,
                extra={
                    "fields": {
                        "event": "http",
                        "method": method,
                        "route": route,
                        "status": status,
                        "ms": round(took, 1),
                    }
                },
            )


def route_template(scope: Scope) -> str:
    """Return the template of the route ``scope`` matched, or ``unmatched`` (no route was
    chosen: a 404, or a request refused before routing, as a declared body too large)."""
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str):
        return UNMATCHED
    # A route of an included router may know only its own part (/rsvp/{token}, not /v1/...):
    # the path's remainder in front of it is the routers' prefixes.
    params = dict(scope.get("path_params") or {})
    try:
        own, left = replace_params(template, route.param_convertors, params)
    except Exception:  # a value its convertor cannot write back: keep to what is known
        return template
    path = str(scope.get("path", ""))
    if left or not path.endswith(own):
        # A prefix holding a parameter would be logged with its value: never.
        return f"...{template}"
    return path.removesuffix(own) + template
