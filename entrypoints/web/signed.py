"""What every web route needs: the front doors, the clock, and who the session signs in as.

A session lives in an HttpOnly, SameSite=Lax cookie (Secure where the app is served over
https). Every form that changes something carries the session's CSRF token; ``acting``
checks it before a route does anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Cookie, Request
from fastapi.responses import RedirectResponse, Response

from application.admin.authority import administers
from application.front_doors import FrontDoors
from application.sessions.front_door import SignedInAs
from entrypoints.api.state import ApiState
from entrypoints.web.pages import page

COOKIE = "cis_session"
SessionCookie = Annotated[str | None, Cookie(alias=COOKIE)]


def doors(request: Request) -> FrontDoors:
    """Return the application's front doors."""
    state: ApiState = request.app.state.api
    return state.doors


def now() -> datetime:
    """Return the time the web app acts at."""
    return datetime.now(UTC)


def signed_in(request: Request, session: str | None) -> SignedInAs | None:
    """Return who the session cookie signs in as, or None (one read of the store)."""
    return doors(request).sessions.current(session or "", now())


def acting(request: Request, session: str | None, csrf: str) -> SignedInAs | None:
    """Return who signs in, if the form's CSRF token is this session's own; else None."""
    current = signed_in(request, session)
    if current is None or not doors(request).sessions.csrf_valid(session or "", csrf):
        return None
    return current


def shown(current: SignedInAs) -> dict[str, Any]:
    """What every signed-in page shows: who, the forms' CSRF token, and whether the header
    links to the Administration (administrators and domains' owners)."""
    return {
        "signed_in": current.address,
        "csrf": current.csrf,
        "administers": administers(current.principal),
    }


def to_sign_in() -> Response:
    """Send someone who is not signed in to the sign-in page."""
    return RedirectResponse("/sign-in", status_code=303)


def not_ours() -> Response:
    """The answer to a form that is not the session's own (a missing or foreign CSRF token)."""
    return page(
        "refused.html.j2",
        status=403,
        title="That form has expired",
        reason="That form was not this session's own: open the page again and resend it.",
    )


def secure(request: Request) -> bool:
    """Return whether the app is served over https (cookies are then Secure)."""
    base = request.app.state.api.container.settings().web_base_url or ""
    return base.startswith("https://") or request.url.scheme == "https"
