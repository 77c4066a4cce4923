"""The signed public links (RSVP answers, calendar files), imported only when first used."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.service import InviteService


def rsvp_links(service: InviteService) -> Any:
    """Return the RSVP-links use cases; raise ImportError while they are not installed."""
    from application.rsvp_links import RsvpLinks

    if service.outbound is None:  # pragma: no cover - the container always configures it
        raise ImportError("signed links need the sending settings")
    return RsvpLinks(service.load, service.save, service.outbound)


def calendar_signature(service: InviteService, invite_id: UUID) -> str | None:
    """Return the signature of the invite's calendar link, or None without signed links."""
    try:
        links = rsvp_links(service)
    except ImportError:
        return None
    return str(links.calendar_signature(invite_id))


def signature_valid(service: InviteService, invite_id: UUID, sig: str | None) -> bool:
    """Return whether ``sig`` is the invite's calendar signature (never without signed links)."""
    if not sig:
        return False
    try:
        links = rsvp_links(service)
    except ImportError:
        return False
    return bool(links.verify_calendar_signature(invite_id, sig))
