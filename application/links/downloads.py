"""Read use case: an invite's "add to calendar" file, for download links and buttons."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from application.errors import InviteNotFoundError
from application.outbound.versions import fingerprints, outbound_of
from application.ports import InviteRenderer
from application.send_types import OutboundSettings
from application.stores import Loader, VersionLoader
from domain.distribution import Distribution, distribution_id
from domain.invite import Invite
from domain.outbound import OutboundInvite


def calendar_file(
    load: Loader,
    load_at: VersionLoader,
    renderer: InviteRenderer,
    settings: OutboundSettings,
    invite: UUID,
) -> bytes:
    """Return the invite's published state as a calendar file under the server UID and
    SEQUENCE (see :func:`published_version`)."""
    found = load(Invite, invite)
    if found is None:
        raise InviteNotFoundError(f"no invite has the id {invite}")
    return renderer.calendar_file(published_version(load, load_at, found, settings.domain))


def published_version(
    load: Loader, load_at: VersionLoader, invite: Invite, domain: str
) -> OutboundInvite:
    """Return what a download or a feed shows of ``invite``: the state its recipients get.

    That is its current state, except while a change is held for the organizer's review:
    then the state last sent, so that nobody learns of a change before the organizer lets it
    go out. A download publishes nothing: a state not sent yet gets the SEQUENCE its first
    send will give it (Distribution.publish), so that email updates the downloaded event in
    place.
    """
    draft = outbound_of(invite, 0, domain)
    distribution = load(Distribution, distribution_id(invite.id))
    if distribution is None:
        return draft
    if distribution.held and distribution.published_invite_version is not None:
        sent = load_at(Invite, invite.id, distribution.published_invite_version)
        if sent is not None:
            return replace(outbound_of(sent, 0, domain), sequence=distribution.sequence)
    published = (distribution.fingerprint, distribution.method)
    unchanged = published == (fingerprints(draft)[0], draft.method.value)
    sequence = distribution.sequence if unchanged else distribution.sequence + 1
    return replace(draft, sequence=sequence)
