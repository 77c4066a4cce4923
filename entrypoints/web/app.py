"""Where the web app joins the API's FastAPI app: its routes at the root, its assets at /static."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from entrypoints.web import actions, admin, home, lists, routes, upcoming

STATIC = Path(__file__).parent / "static"


def install_web(app: FastAPI) -> None:
    """Add the web app's pages and its own assets (no CDN, ever) to ``app``."""
    app.include_router(routes.router)
    app.include_router(actions.router)
    app.include_router(lists.router)
    app.include_router(home.router)
    app.include_router(upcoming.router)
    app.include_router(admin.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="web-static")
