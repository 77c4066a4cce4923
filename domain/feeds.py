"""Subscription feeds: signed feed links per organizer, domain or audience, and audiences.

A feed link is a capability anyone holding it may use (a calendar app polls it without
signing in), so it is an HMAC of (kind, subject, generation) under a key of its own, derived
from the server secret with its own label: no other link's signature opens a feed. Rotating a
feed link moves its generation on (:class:`FeedLink`), which revokes every URL handed out
before at once, without touching any other link.

An audience is a list of invites an organizer names ("board meetings", "spring concerts"),
one stream per (organizer, name), so a person can subscribe to just that list.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identity import NAMESPACE

_LABEL = b"calendar-invite-server subscription feed v1"
# Truncated HMAC-SHA256: 128 bits, out of reach of guessing at any request rate.
_MAC_BYTES = 16
# An audience is a list a person subscribes to, not a mailing list: a calendar app shows it
# whole, and the feed renders every one of its invites on a change.
MAX_AUDIENCE_INVITES = 1000
MAX_AUDIENCE_NAME = 64


class FeedKind(StrEnum):
    """Whose invites a feed serves."""

    ORGANIZER = "organizer"  # subject: the organizer's address
    DOMAIN = "domain"  # subject: the domain
    AUDIENCE = "audience"  # subject: the audience's id (audience_id)


class InvalidAudienceError(ValueError):
    """An audience name or invite list this server does not keep; the message says why."""


def feed_signature(secret: bytes, kind: FeedKind, subject: str, generation: int) -> str:
    """Return the signature of the feed link (URL-safe base64, no padding)."""
    key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
    claim = f"{kind.value}\n{subject}\n{generation}".encode()
    mac = hmac.new(key, claim, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def feed_signature_matches(
    secret: bytes, kind: FeedKind, subject: str, generation: int, signature: str
) -> bool:
    """Return whether ``signature`` opens the feed's current link (constant-time)."""
    if not signature.isascii():
        return False
    expected = feed_signature(secret, kind, subject, generation).encode("ascii")
    return hmac.compare_digest(signature.encode("ascii"), expected)


def feed_link_id(kind: FeedKind, subject: str) -> UUID:
    """Return the id of the feed link's stream."""
    return uuid5(NAMESPACE, f"feed-link\n{kind.value}\n{subject}")


class FeedLink(Aggregate):
    """How many times a feed's link was rotated: only the newest generation's link works.

    A feed whose link was never rotated has no stream (generation 0): reading a feed never
    writes to the event store.
    """

    @staticmethod
    def create_id(kind: str, subject: str, **_: Any) -> UUID:
        """Return the id derived from the feed's kind and subject."""
        return feed_link_id(FeedKind(kind), subject)

    @event("Created")
    def __init__(self, kind: str, subject: str, timestamp: datetime) -> None:
        self.kind = kind
        self.subject = subject
        self.generation = 0
        self.rotated_at: datetime | None = None

    @event("Rotated")
    def rotate(self, timestamp: datetime) -> None:
        """Revoke the feed's current link: the next generation's signature replaces it."""
        self.generation += 1
        self.rotated_at = timestamp


def audience_key(name: str) -> str:
    """Return an audience's name as it is keyed: trimmed, single-spaced, case-folded.

    Raise InvalidAudienceError if nothing is left, or it is too long or holds a control.
    """
    spaced = " ".join(name.split())
    if not spaced:
        raise InvalidAudienceError("an audience needs a name")
    if len(spaced) > MAX_AUDIENCE_NAME:
        raise InvalidAudienceError(f"an audience's name has at most {MAX_AUDIENCE_NAME} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in spaced):
        raise InvalidAudienceError("an audience's name cannot hold control characters")
    if "/" in spaced:
        # The name is a segment of the API's paths (…/audiences/{name}/…).
        raise InvalidAudienceError("an audience's name cannot hold a slash")
    return spaced.casefold()


def audience_id(organizer: str, name: str) -> UUID:
    """Return the id of ``organizer``'s audience called ``name`` (any spelling of it)."""
    return uuid5(NAMESPACE, f"audience\n{organizer}\n{audience_key(name)}")


class Audience(Aggregate):
    """A list of one organizer's invites, under a name the organizer chose."""

    @staticmethod
    def create_id(organizer: str, name: str, **_: Any) -> UUID:
        """Return the id derived from the organizer and the audience's name."""
        return audience_id(organizer, name)

    @event("Created")
    def __init__(self, organizer: str, name: str, timestamp: datetime) -> None:
        self.organizer = organizer
        self.name = " ".join(name.split())
        # Invite ids as hex, in the order they were added: the order the API lists them in.
        self.invites: list[str] = []

    def adding(self, invites: list[UUID]) -> list[str]:
        """Return the invites of ``invites`` not listed yet; raise if the list would overflow."""
        listed = set(self.invites)
        new = list(dict.fromkeys(i.hex for i in invites if i.hex not in listed))
        if len(self.invites) + len(new) > MAX_AUDIENCE_INVITES:
            raise InvalidAudienceError(
                f"an audience lists at most {MAX_AUDIENCE_INVITES} invites: "
                f"{self.name!r} has {len(self.invites)}"
            )
        return new

    @event("InvitesAdded")
    def add(self, invites: list[str], timestamp: datetime) -> None:
        """List the invites (hex ids, see :meth:`adding`)."""
        self.invites = [*self.invites, *invites]

    @event("InvitesRemoved")
    def remove(self, invites: list[str], timestamp: datetime) -> None:
        """Stop listing the invites (hex ids)."""
        gone = set(invites)
        self.invites = [i for i in self.invites if i not in gone]

    def invite_ids(self) -> list[UUID]:
        """Return the listed invites, in the order they were added."""
        return [UUID(hex=i) for i in self.invites]


def audience_directory_id(organizer: str) -> UUID:
    """Return the id of the organizer's directory of audiences."""
    return uuid5(NAMESPACE, f"audience-directory\n{organizer}")


class AudienceDirectory(Aggregate):
    """The audiences one organizer has named, so they can be listed without a scan."""

    @staticmethod
    def create_id(organizer: str, **_: Any) -> UUID:
        """Return the id derived from the organizer."""
        return audience_directory_id(organizer)

    @event("Created")
    def __init__(self, organizer: str, timestamp: datetime) -> None:
        self.organizer = organizer
        # The audiences' ids (hex), by their keyed names.
        self.audiences: dict[str, str] = {}

    @event("Named")
    def name(self, key: str, audience: str, timestamp: datetime) -> None:
        """Note the audience ``audience`` (hex id) under its keyed name."""
        self.audiences = {**self.audiences, key: audience}

    @event("Dropped")
    def drop(self, key: str, timestamp: datetime) -> None:
        """Forget the audience of that keyed name."""
        self.audiences = {k: v for k, v in self.audiences.items() if k != key}
