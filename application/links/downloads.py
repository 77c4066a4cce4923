"""Read use case: an invite's "add to calendar" file, for download links and buttons."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from application.errors import InviteNotFoundError
from application.outbound.versions import fingerprints, outbound_of
from application.ports import InviteRenderer
from application.send_types import OutboundSettings
from application.stores import Loader
from domain.distribution import Distribution, distribution_id
from domain.invite import Invite
from domain.outbound import OutboundInvite


def calendar_file(
    load: Loader, renderer: InviteRenderer, settings: OutboundSettings, invite: UUID
) -> bytes:
    """Return the invite's current state as a calendar file under the server UID and SEQUENCE."""
    found = load(Invite, invite)
    if found is None:
        raise InviteNotFoundError(f"no invite has the id {invite}")
    return renderer.calendar_file(_current(load, found, settings.domain))


def _current(load: Loader, invite: Invite, domain: str) -> OutboundInvite:
    # A download publishes nothing: a state not sent yet gets the SEQUENCE its first send will
    # give it (Distribution.publish), so that email updates the downloaded event in place.
    draft = outbound_of(invite, 0, domain)
    distribution = load(Distribution, distribution_id(invite.id))
    if distribution is None:
        return draft
    published = (distribution.fingerprint, distribution.method)
    unchanged = published == (fingerprints(draft)[0], draft.method.value)
    sequence = distribution.sequence if unchanged else distribution.sequence + 1
    return replace(draft, sequence=sequence)
