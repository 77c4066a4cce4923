"""The links flow's front door: what people do through signed links, without an API key.

RSVP answers, "add to calendar" files, landing-page sends and the public upcoming pages.
Each link carries a signature made with the server's secret, so the link itself is the
capability: it does exactly what its name says and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from functools import partial
from uuid import UUID

from application.access import NotVisibleError
from application.admin.registry import OrganizerRegistry
from application.errors import InviteNotFoundError
from application.links.downloads import calendar_file
from application.links.landing import Landing, Landings
from application.links.rsvp_links import RsvpLinks
from application.ports import InviteRenderer
from application.send_types import OutboundSettings
from application.store import InviteStore
from domain.organizer import origin_of

# The upcoming page's key is derived under its own label: no other link's signature opens it.
_UPCOMING_LABEL = b"calendar-invite-server upcoming page v1"
_UPCOMING_MAC_BYTES = 16  # 128 bits: out of reach of guessing at any request rate


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
    ) -> None:
        self.load = store.load
        self.rsvp = rsvp
        # What the RSVP pages say of an invite is kept until its streams move on; the store
        # tells their versions without rebuilding them.
        rsvp.follow_versions(partial(stored_version, store))
        self.landings = landings
        self.renderer = renderer
        self.outbound = outbound
        self.registry = registry

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
            return calendar_file(self.load, self.renderer, self.outbound, invite)
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
