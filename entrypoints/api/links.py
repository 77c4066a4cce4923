"""The signed public links (RSVP answers, calendar files, landing sends) of a service that sends."""

from __future__ import annotations

from uuid import UUID

from application.links.landing import Landings
from application.links.rsvp_links import RsvpLinks
from application.service import InviteService


def rsvp_links(service: InviteService) -> RsvpLinks | None:
    """Return the RSVP-links use cases, or None for a service without sending settings."""
    if service.outbound is None:
        return None
    return RsvpLinks(service.load, service.save, service.outbound)


def landings(service: InviteService) -> Landings | None:
    """Return the landing-page use cases, or None for a service without sending settings."""
    if service.outbound is None:
        return None
    return Landings(service.load, service.save, service.outbound.secret, service.send)


def calendar_signature(service: InviteService, invite_id: UUID) -> str | None:
    """Return the signature of the invite's calendar link, or None without signed links."""
    links = rsvp_links(service)
    return None if links is None else str(links.calendar_signature(invite_id))


def landing_signature(service: InviteService, invite_id: UUID) -> str | None:
    """Return the signature of the invite's landing link, or None without signed links."""
    found = landings(service)
    return None if found is None else found.signature(invite_id)


def signature_valid(service: InviteService, invite_id: UUID, sig: str | None) -> bool:
    """Return whether ``sig`` is the invite's calendar signature (never without signed links)."""
    links = rsvp_links(service)
    if not sig or links is None:
        return False
    return bool(links.verify_calendar_signature(invite_id, sig))
