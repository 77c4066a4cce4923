"""What the server sends for an invite's current state, and how to tell versions apart."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

from domain.invite import Invite
from domain.outbound import OutboundInstance, OutboundInvite, server_uid
from domain.values import MASTER, EventDetails, Method

# What makes replies to earlier versions stale (RFC 5546 section 2.1.4's significant changes).
_SIGNIFICANT = ("start", "end", "timezone", "all_day", "rrule", "rdates", "exdates", "location")


def outbound_of(invite: Invite, sequence: int, domain: str) -> OutboundInvite:
    """Return the server's version of the invite's current state under SEQUENCE ``sequence``."""
    master = invite.master
    return OutboundInvite(
        invite=invite.id,
        uid=server_uid(invite.id, domain),
        method=Method.CANCEL if invite.is_cancelled else Method.REQUEST,
        sequence=sequence,
        organizer_name=(master.details.organizer_name if master else None)
        or invite.organizer_name
        # Without any name clients show the ORGANIZER's address: our reply address, not theirs.
        or invite.organizer.partition("@")[0]
        or None,
        details=_public(master.details) if master else None,
        instances=tuple(
            OutboundInstance(key, _public(o.details), o.cancelled)
            for key, o in sorted(invite.occurrences.items())
            if key != MASTER
        ),
    )


def _public(details: EventDetails) -> EventDetails:
    # Each recipient sees only themselves as ATTENDEE: the organizer's guest list stays private.
    return replace(details, attendees=())


def fingerprints(outbound: OutboundInvite) -> tuple[str, str]:
    """Return (whole, significant): digests of what recipients see, and of what forces a re-RSVP."""
    versions = [("", outbound.details, False)] if outbound.details else []
    versions += [(i.recurrence_id, i.details, i.cancelled) for i in outbound.instances]
    whole = [(key, d.digest(), cancelled) for key, d, cancelled in versions]
    significant = [
        (key, [getattr(d, name) for name in _SIGNIFICANT], cancelled)
        for key, d, cancelled in versions
    ]
    return _digest([outbound.method, whole]), _digest([outbound.method, significant])


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=list)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def cancelled_keys(outbound: OutboundInvite) -> list[str]:
    """Return the RECURRENCE-IDs of the instances cancelled in this version, sorted."""
    return sorted(i.recurrence_id for i in outbound.instances if i.cancelled)


def rest_fingerprint(outbound: OutboundInvite) -> str:
    """Return a digest of the version without its cancelled instances.

    Equal before and after a change means the change only cancelled instances.
    """
    rest = replace(outbound, instances=tuple(i for i in outbound.instances if not i.cancelled))
    return fingerprints(rest)[0]


def instance_cancel(outbound: OutboundInvite, key: str) -> OutboundInvite:
    """Return the METHOD:CANCEL rendition that withdraws instance ``key`` (RFC 5546 3.2.5)."""
    cancelled = tuple(i for i in outbound.instances if i.recurrence_id == key)
    return replace(outbound, method=Method.CANCEL, instances=cancelled, cancelled_instance=key)
