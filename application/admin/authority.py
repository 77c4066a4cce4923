"""Who administers whom: the one rule every administration page and action goes through.

An administrator manages every organizer; a domain's owner manages the organizers of that
domain (exactly it: sub.example.com is not example.com); nobody else manages anyone, not
even themselves (an organizer cannot lift their own suspension). What a principal may not
manage does not exist for it (``NotVisibleError``, a 404), as with invites.
"""

from __future__ import annotations

from application.access import NotVisibleError
from domain.api_keys import Principal, Scope


def administers(principal: Principal) -> bool:
    """Return whether ``principal`` may open the administration pages at all."""
    return principal.kind is Scope.ADMIN or (
        principal.kind is Scope.DOMAIN and principal.subject is not None
    )


def manages(principal: Principal, organizer: str) -> bool:
    """Return whether ``principal`` may change ``organizer``'s standing, limits and blocks."""
    return administers(principal) and principal.may_read_organizer(organizer)


def check_manages(principal: Principal, organizer: str) -> None:
    """Raise ``NotVisibleError`` unless ``principal`` manages ``organizer``."""
    if not manages(principal, organizer):
        raise NotVisibleError


def managed_domain(principal: Principal) -> str | None:
    """Return the one domain a domain's owner manages; None for an administrator (all).

    Raise ``NotVisibleError`` for a principal that administers nothing.
    """
    if not administers(principal):
        raise NotVisibleError
    return principal.subject if principal.kind is Scope.DOMAIN else None
