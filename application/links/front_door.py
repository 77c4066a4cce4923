"""The links flow's front door: what people do through signed links, without an API key.

RSVP answers, "add to calendar" files, landing-page sends and the public upcoming pages.
Each link carries a signature made with the server's secret, so the link itself is the
capability: it does exactly what its name says and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from uuid import UUID

from application.access import NotVisibleError
from application.admin.registry import OrganizerRegistry
from application.errors import InviteNotFoundError
from application.links.calendar_links import (
    CalendarLinks,
    NoCalendarLinkError,
    Provider,
)
from application.links.downloads import calendar_file
from application.links.landing import Landing, Landings
from application.links.rsvp_links import RsvpLinks
from application.outbound.versions import outbound_of
from application.ports import InviteRenderer, InviteWording
from application.send_types import OutboundSettings
from application.store import InviteStore
from domain.invite import Invite
from domain.organizer import origin_of

# The upcoming page's key is derived under its own label: no other link's signature opens it.
_UPCOMING_LABEL = b"calendar-invite-server upcoming page v1"
_UPCOMING_MAC_BYTES = 16  # 128 bits: out of reach of guessing at any request rate


@dataclass(frozen=True)
class LandingEvent:
    """What an invite's landing page shows: the event in its invitation's words, and the
    links that add it to each web calendar (none for a cancelled or timeless event)."""

    wording: InviteWording
    links: dict[Provider, str]


def stored_version(store: InviteStore, stream: UUID) -> int | None:
    """Return the version of the newest event stored in ``stream`` (None: none is)."""
    newest = store.recorder.select_events(stream, desc=True, limit=1)
    return newest[0].originator_version if newest else None


class Links:
    """RSVP links (``rsvp``), calendar files, landing-page requests and the signatures of
    the public upcoming pages."""

    def __init__(
        self,
        store: InviteStore,
        *,
        rsvp: RsvpLinks,
        landings: Landings,
        renderer: InviteRenderer,
        outbound: OutboundSettings,
        registry: OrganizerRegistry,
        calendars: CalendarLinks,
    ) -> None:
        self.load = store.load
        self.load_at = store.load_at
        self.rsvp = rsvp
        # What the RSVP pages say of an invite is kept until its streams move on; the store
        # tells their versions without rebuilding them.
        rsvp.follow_versions(partial(stored_version, store))
        self.landings = landings
        self.renderer = renderer
        self.outbound = outbound
        self.registry = registry
        self.calendars = calendars

    def calendar_signature(self, invite: UUID) -> str:
        """Return the signature of the invite's calendar-file link."""
        return str(self.rsvp.calendar_signature(invite))

    def landing_signature(self, invite: UUID) -> str:
        """Return the signature of the invite's landing link (for its organizer's pages)."""
        return self.landings.signature(invite)

    def upcoming_signature(self, who: str) -> str:
        """Return the signature of the public upcoming page of ``who`` (an organizer's
        address or a domain): only those who hold the link may list its invitations."""
        key = hmac.new(self.outbound.secret, _UPCOMING_LABEL, hashlib.sha256).digest()
        canonical = who.strip().lower().encode("utf-8")
        mac = hmac.new(key, canonical, hashlib.sha256).digest()[:_UPCOMING_MAC_BYTES]
        return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")

    def upcoming_signature_matches(self, who: str, signature: str | None) -> bool:
        """Return whether ``signature`` opens the upcoming page of ``who`` (constant-time)."""
        if not signature or not signature.isascii():
            return False
        expected = self.upcoming_signature(who).encode("ascii")
        return hmac.compare_digest(signature.encode("ascii"), expected)

    def calendar_file(self, invite: UUID, signature: str | None) -> bytes:
        """Return the invite as a calendar file for whoever holds its signed link.

        Raises ``NotVisibleError`` for a wrong signature or an unknown invite alike.
        """
        if not signature or not self.rsvp.verify_calendar_signature(invite, signature):
            raise NotVisibleError
        try:
            return calendar_file(self.load, self.load_at, self.renderer, self.outbound, invite)
        except InviteNotFoundError:
            raise NotVisibleError from None

    def landing(
        self, invite: UUID, signature: str, address: str, name: str | None, now: datetime
    ) -> Landing:
        """Send the invite to the address a landing page's visitor gave (once per mailbox)."""
        clean_name = " ".join((name or "").split()) or None
        return self.landings.request(invite, signature, address, clean_name, now)

    def allowed_redirect(self, organizer: str, redirect: str | None) -> str | None:
        """Return ``redirect`` if its origin is one of the organizer's landing origins."""
        if not redirect or any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in redirect):
            return None
        origin = origin_of(redirect)
        record = self.registry.find(organizer)
        if origin is None or record is None or not record.allows_landing(origin):
            return None
        return redirect

    def landing_signature_matches(self, invite: UUID, signature: str | None) -> bool:
        """Return whether ``signature`` is the invite's landing signature (constant-time)."""
        if not signature or not signature.isascii():
            return False
        expected = self.landings.signature(invite).encode("ascii")
        return hmac.compare_digest(signature.encode("ascii"), expected)

    def add_links(self, invite: UUID, *, more: str | None) -> dict[Provider, str]:
        """Return the invite's links straight to each web calendar ({}: nothing to add).

        For callers that checked who may read the invite. ``more`` is where the whole
        description can be read (named in a description cut short). Raises
        ``NotVisibleError`` for an unknown invite.
        """
        try:
            found = self.calendars.links(invite, more=more)
        except NoCalendarLinkError:
            return {}
        if found is None:
            raise NotVisibleError
        return found

    def landing_event(
        self, invite: UUID, signature: str | None, *, more: str | None
    ) -> LandingEvent | None:
        """Return what the invite's landing page shows, for the holder of its landing
        signature; None for a wrong signature or an unknown invite alike."""
        if not self.landing_signature_matches(invite, signature):
            return None
        found = self.load(Invite, invite)
        if found is None:
            return None
        wording = self.renderer.describe(outbound_of(found, 0, self.outbound.domain))
        try:
            links = self.calendars.links_for(found, more=more)
        except NoCalendarLinkError:
            links = {}
        return LandingEvent(wording, links)

    def added_via_link(
        self,
        invite: UUID,
        signature: str | None,
        provider: Provider,
        *,
        more: str | None,
        calendar_file: str,
    ) -> str:
        """Count one person who added the invite through ``provider``'s link on its landing
        page; return where the link leads (``calendar_file`` for the .ics).

        Raises ``NotVisibleError`` for a wrong signature or an unknown invite alike, and
        ``NoCalendarLinkError`` (nothing counted) when there is nothing to add.
        """
        found = (
            self.load(Invite, invite) if self.landing_signature_matches(invite, signature) else None
        )
        if found is None:
            raise NotVisibleError
        if provider is Provider.ICS:
            self.calendars.event(found)  # a cancelled event is no file to add either
            target = calendar_file
        else:
            target = self.calendars.links_for(found, more=more)[provider]
        self.calendars.count(invite, provider)
        return target
