"""The HTTP API's app factory: versioned routes under /v1, problems for every error."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from entrypoints.api.access_log import AccessLog
from entrypoints.api.docs import install_docs
from entrypoints.api.limits import BodyLimit, document_body_limit
from entrypoints.api.pages import install_static
from entrypoints.api.problems import install_problem_handlers
from entrypoints.api.ratelimit import RateLimiter
from entrypoints.api.routes import (
    calendar_links,
    feeds,
    invites,
    landing,
    listings,
    organizers,
    people,
    public,
    sending,
    suppressions,
    unsubscribe,
    webhooks,
)
from entrypoints.api.state import ApiState, document_views_pending
from entrypoints.container import Container
from entrypoints.web.app import install_web

PREFIX = "/v1"


def create_app(
    container: Container,
    *,
    per_key_per_minute: int = 60,
    per_ip_per_minute: int = 10,
    views_local: bool = True,
) -> FastAPI:
    """Return the API over ``container``.

    ``per_key_per_minute`` limits each API key's sends and other actions, ``per_ip_per_minute``
    each client address's landing-page requests. ``views_local`` says the views follow this
    process's event log (embedded and memory backends), so each read says how many events
    they lag behind; turn it off where a change stream projects them elsewhere (AWS). Request
    bodies over the ``http_max_body_bytes`` setting are refused (413) before any route reads
    them.
    """
    app = FastAPI(
        title="Calendar Invite Server",
        version="1",
        description="Dashboards, sending and public links of the calendar-invite server.",
        openapi_url=f"{PREFIX}/openapi.json",
        # Swagger UI and ReDoc are served with their assets by install_docs: no CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app, PREFIX)
    app.state.api = ApiState(
        container=container,
        per_key=RateLimiter(per_key_per_minute),
        per_ip=RateLimiter(per_ip_per_minute),
        views_local=views_local,
    )
    install_problem_handlers(app)
    v1 = APIRouter(prefix=PREFIX)
    routers = [
        routes.router
        for routes in (
            invites,
            calendar_links,
            listings,
            sending,
            organizers,
            public,
            landing,
            suppressions,
            people,
            unsubscribe,
            feeds,
            webhooks,
        )
    ]
    for router in routers:
        v1.include_router(router)
    app.include_router(v1)
    # The public pages' stylesheet (RSVP and landing pages).
    install_static(app, PREFIX)
    install_web(app)
    document_body_limit(app)
    document_views_pending(app, routers, PREFIX)
    app.add_middleware(BodyLimit, max_bytes=container.settings().http_max_body_bytes)
    # Outermost, so refusals before routing (413) are logged too; never a raw path.
    app.add_middleware(AccessLog)
    return app
