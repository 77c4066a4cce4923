"""Who may act on an invite from the web app, and what every action page shares.

Only the invite's organizer or an admin may act (``Reading.invite_for``); anyone who may not
even read it gets the same "not found" as for no invite, and a domain owner (who may read it)
a refusal. A form that changes something must carry the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from application.access import NotAllowedError, NotVisibleError
from application.sessions.front_door import SignedInAs
from entrypoints.api.problems import ProblemError
from entrypoints.api.state import ApiState
from entrypoints.web.pages import page
from entrypoints.web.signed import acting, doors, not_ours, shown, signed_in, to_sign_in


@dataclass(frozen=True)
class Acting:
    """A signed-in person who may act on one invite."""

    current: SignedInAs
    invite: UUID
    title: str
    organizer: str

    @property
    def ref(self) -> str:
        """The invite's id as the front doors take it."""
        return str(self.invite)

    @property
    def by(self) -> str:
        """Who acts, as the audit trail names them."""
        return f"web:{self.current.address}"

    def context(self, **more: Any) -> dict[str, Any]:
        """What every action page shows: who, the forms' token, and the invite."""
        return {
            **shown(self.current),
            "invite_id": self.ref,
            "invite_title": self.title or "(no title)",
            **more,
        }


def opening(request: Request, session: str | None, invite_id: str) -> Acting | Response:
    """Return who acts on the invite for a page that only shows (a GET), or the answer to
    give instead (sign in, not found, refused)."""
    current = signed_in(request, session)
    if current is None:
        return to_sign_in()
    return _may_act(request, current, invite_id, to_write=False)


def posting(request: Request, session: str | None, csrf: str, invite_id: str) -> Acting | Response:
    """Return who acts on the invite for a form that changes something (CSRF checked)."""
    current = acting(request, session, csrf)
    if current is None:
        return not_ours() if session else to_sign_in()
    refused = _spent(request, current)
    return refused or _may_act(request, current, invite_id, to_write=True)


def _may_act(
    request: Request, current: SignedInAs, invite_id: str, *, to_write: bool
) -> Acting | Response:
    """Authorize from the invite's summary view for a page that only shows; from the
    invite's own stream (never a lagging view) for a form that acts on it."""
    reading = doors(request).reading
    try:
        invite = UUID(invite_id)
        if to_write:
            organizer = reading.invite_for(current.principal, invite).organizer
            summary = reading.views.invite(invite) or {}
        else:
            summary = reading.summary_to_act_on(current.principal, invite)
            organizer = summary["organizer"]
    except (ValueError, NotVisibleError):
        return page("not_found.html.j2", status=404, **shown(current))
    except NotAllowedError:
        return refused(
            current,
            403,
            "Only its organizer may do this",
            "You may read this invitation, but only its organizer or an administrator may "
            "send it, change it or cancel it.",
            invite_id,
        )
    # The title is only shown: the summary's, even where the views lag the stream.
    return Acting(current, invite, summary.get("title") or "", organizer)


def _spent(request: Request, current: SignedInAs) -> Response | None:
    """Spend one action of the signed-in address's allowance (the API keys' rate limit)."""
    state: ApiState = request.app.state.api
    try:
        state.limit_key(f"web:{current.address}")
    except ProblemError as error:
        return refused(current, 429, "Too many actions", as_text(error.detail))
    return None


def refused(
    current: SignedInAs, status: int, title: str, reason: str, invite_id: str | None = None
) -> Response:
    """Return the page that says why an action was not done."""
    return page(
        "action_refused.html.j2",
        status=status,
        title=title,
        reason=reason,
        invite_id=invite_id,
        **shown(current),
    )


def as_text(detail: object) -> str:
    """Return a problem's detail as a sentence."""
    text = str(detail or "").strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def base_url(request: Request) -> str:
    """Return where people open this server (``CIS_WEB_BASE_URL``, else this request's own)."""
    state: ApiState = request.app.state.api
    configured = state.container.settings().web_base_url
    return (configured or str(request.base_url)).rstrip("/")
