"""The feeds flow's front door: subscription feeds, their signed links, and audiences.

A feed is a calendar people subscribe to by its link (``webcal://``), read by their calendar
app every hour without signing in: the signed link is the capability. It serves an
organizer's, a domain's or an audience's upcoming and recent invites (``window.py``), each
under the UID and SEQUENCE its invitations carry, so a subscriber who is also invited sees
one event. Which invites come from the views; each is rendered from its current state in the
event store, and kept rendered while its stream has not moved.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from application.access import NotAllowedError, NotVisibleError, may_write
from application.feeds.ports import FeedEntry, FeedRenderer
from application.feeds.window import (
    MAX_EVENTS,
    Summary,
    chosen,
    domain_candidates,
    organizer_candidates,
)
from application.links.downloads import published_version
from application.outbound.versions import outbound_of
from application.projections.feed_reads import feed_read_counter
from application.projections.keys import DISTRIBUTION, InviteItems
from application.projections.queries import Reports
from application.projections.store import Batch
from application.send_types import OutboundSettings
from application.store import InviteStore
from domain.api_keys import Principal
from domain.feeds import (
    Audience,
    AudienceDirectory,
    FeedKind,
    FeedLink,
    InvalidAudienceError,
    audience_directory_id,
    audience_id,
    audience_key,
    feed_link_id,
    feed_signature,
    feed_signature_matches,
)
from domain.identity import normalize_address
from domain.invite import Invite

# Rendered invites kept (a few hundred bytes to a few kB each): a thousand-event feed read
# every hour by many subscribers renders each invite once per version.
_ENTRIES_KEPT = 20_000
_FEEDS_KEPT = 256
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class FeedLinkInfo:
    """A feed's current signed link, in parts: entry points build its URLs."""

    kind: str
    subject: str
    signature: str
    name: str
    generation: int


@dataclass(frozen=True)
class FeedDocument:
    """One read of a feed: its bytes, a strong ETag from them, and the newest change shown."""

    body: bytes
    etag: str
    last_modified: datetime | None
    events: int


@dataclass(frozen=True)
class AudienceView:
    """An audience as the API shows it."""

    id: str
    organizer: str
    name: str
    invites: list[str]


class _Kept(Generic[K, V]):
    """A bounded map, least recently used dropped first; safe across request threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class Feeds:
    """Feed reads (``read``), feed links (``link_for``, ``rotate``) and audiences."""

    def __init__(
        self,
        store: InviteStore,
        *,
        views: Reports,
        renderer: FeedRenderer,
        outbound: OutboundSettings,
    ) -> None:
        self.load = store.load
        self.load_at = store.load_at
        self.save = store.save
        self.views = views
        self.renderer = renderer
        self.outbound = outbound
        # False: rendered and found to have nothing to show (still worth remembering).
        self._entries: _Kept[tuple[Any, ...], FeedEntry | bool] = _Kept(_ENTRIES_KEPT)
        self._feeds: _Kept[tuple[Any, ...], FeedDocument] = _Kept(_FEEDS_KEPT)

    def forget_rendered(self) -> None:
        """Drop every rendered invite and feed kept: the next reads render all again (a
        benchmark's cold reads; nothing else needs it, the keys follow the streams)."""
        self._entries = _Kept(_ENTRIES_KEPT)
        self._feeds = _Kept(_FEEDS_KEPT)

    # -- links ---------------------------------------------------------------------------

    def link(self, kind: str, subject: str) -> FeedLinkInfo:
        """Return the feed's current link, for the operator (``cis feeds url``)."""
        feed, canonical = _kind(kind), self._canonical(kind, subject)
        return FeedLinkInfo(
            kind=feed.value,
            subject=canonical,
            signature=feed_signature(
                self.outbound.secret, feed, canonical, self._generation(feed, canonical)
            ),
            name=self._name(feed, canonical, []),
            generation=self._generation(feed, canonical),
        )

    def audience_link(self, organizer: str, name: str) -> FeedLinkInfo:
        """Return the link of ``organizer``'s audience ``name`` (which must exist)."""
        found = self.load(Audience, audience_id(normalize_address(organizer), name))
        if found is None:
            raise NotVisibleError(f"{organizer} has no audience called {name!r}")
        return self.link(FeedKind.AUDIENCE.value, str(found.id))

    def link_for(self, principal: Principal, kind: str, subject: str) -> FeedLinkInfo:
        """Return the feed's link if ``principal`` may hand it out (see :meth:`check`)."""
        self.check(principal, kind, subject)
        return self.link(kind, subject)

    def rotate(
        self, principal: Principal | None, kind: str, subject: str, now: datetime
    ) -> FeedLinkInfo:
        """Revoke the feed's link and return the new one (None: the operator)."""
        if principal is not None:
            self.check(principal, kind, subject)
        feed, canonical = _kind(kind), self._canonical(kind, subject)
        link = self.load(FeedLink, feed_link_id(feed, canonical))
        if link is None:
            link = FeedLink(kind=feed.value, subject=canonical, timestamp=now)
        link.rotate(timestamp=now)
        self.save(link)
        return self.link(kind, canonical)

    def check(self, principal: Principal, kind: str, subject: str) -> None:
        """Raise unless ``principal`` may hand out the feed's link: an organizer their own
        feeds and audiences, a domain's owner its domain's and its organizers', an admin any."""
        feed, canonical = _kind(kind), self._canonical(kind, subject)
        if feed is FeedKind.DOMAIN:
            allowed = principal.may_read_domain(canonical)
        elif feed is FeedKind.ORGANIZER:
            allowed = principal.may_read_organizer(canonical)
        else:
            audience = self._audience(canonical)
            if audience is None or not principal.may_read_organizer(audience.organizer):
                raise NotVisibleError
            allowed = True
        if not allowed:
            raise NotAllowedError(f"this key may not hand out the {feed.value} feed of {canonical}")

    # -- reading a feed ------------------------------------------------------------------

    def read(self, kind: str, subject: str, signature: str | None, now: datetime) -> FeedDocument:
        """Return the feed for whoever holds its current link, and count the read.

        Raises ``NotVisibleError`` for a wrong or revoked signature and an unknown feed
        alike: a link that does not work says nothing about what exists.
        """
        try:
            feed, canonical = _kind(kind), self._canonical(kind, subject)
        except (ValueError, NotVisibleError):
            raise NotVisibleError from None
        generation = self._generation(feed, canonical)
        if not signature or not feed_signature_matches(
            self.outbound.secret, feed, canonical, generation, signature
        ):
            raise NotVisibleError
        organizer, summaries = self._members(feed, canonical, now)
        name = self._name(feed, canonical, summaries)
        keys = [self._entry_key(summary) for summary in summaries]
        cached = (feed, canonical, generation, name, tuple(keys))
        document = self._feeds.get(cached)
        if document is None:
            entries = [e for e in map(self._entry, keys) if isinstance(e, FeedEntry)]
            body = self.renderer.feed(name, entries)
            newest = max((str(s["last_modified"]) for s in summaries), default=None)
            document = FeedDocument(
                body=body,
                etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
                last_modified=_parsed(newest) if newest else None,
                events=len(entries),
            )
            self._feeds.put(cached, document)
        self._count(feed, canonical, organizer, now)
        return document

    def _members(
        self, feed: FeedKind, subject: str, now: datetime
    ) -> tuple[str | None, list[Summary]]:
        """Return whose reads count (the organizer; None: the domain's) and what is shown."""
        if feed is FeedKind.ORGANIZER:
            return subject, chosen(organizer_candidates(self.views, subject, now), now)
        if feed is FeedKind.DOMAIN:
            return None, chosen(domain_candidates(self.views, subject, now), now)
        audience = self._audience(subject)
        if audience is None:
            raise NotVisibleError
        found = (self.views.invite(invite) for invite in audience.invite_ids())
        own = [s for s in found if s is not None and s["organizer"] == audience.organizer]
        return audience.organizer, chosen(own, now)

    def _entry_key(self, summary: Summary) -> tuple[Any, ...]:
        # What the rendered VEVENTs depend on: the invite's state (its last change) and the
        # SEQUENCE the server sent it under (its distribution). The views may lag the store
        # a moment; the entry is then rendered from the newer state, and again once they move.
        invite = str(summary["invite"])
        distribution = self.views.store.get(InviteItems(invite), DISTRIBUTION)
        sent = distribution.data["sequence"] if distribution is not None else None
        return invite, summary["last_modified"], summary["sequence"], sent

    def _entry(self, key: tuple[Any, ...]) -> FeedEntry | bool:
        found = self._entries.get(key)
        if found is not None:
            return found
        entry: FeedEntry | bool = False
        invite = self.load(Invite, UUID(key[0]))
        if invite is not None:
            # Never sent (no distribution in the views): the SEQUENCE its first send will
            # have, without reading a stream that is not there. Should the views lag a
            # first send, the key changes when they catch up and the entry is made again.
            version = (
                outbound_of(invite, 0, self.outbound.domain)
                if key[3] is None
                else published_version(self.load, self.load_at, invite, self.outbound.domain)
            )
            try:
                entry = self.renderer.entry(version, invite.modified_on)
            except ValueError:
                entry = False  # nothing a calendar could show: no details, no instances
        self._entries.put(key, entry)
        return entry

    def _count(self, feed: FeedKind, subject: str, organizer: str | None, now: datetime) -> None:
        # One counter increment, unconditional (commutative): no event, no read-modify-write.
        # A domain's reads spread over its counter shards by the second they come in.
        shard = int(now.timestamp()) % self.views.shards
        counter = feed_read_counter(feed.value, organizer, subject, shard)
        self.views.store.commit(Batch(adds={counter: 1}))

    # -- audiences -----------------------------------------------------------------------

    def audiences(self, principal: Principal, organizer: str) -> list[AudienceView]:
        """Return ``organizer``'s audiences, by name."""
        owner = self._owner(principal, organizer, writing=False)
        directory = self.load(AudienceDirectory, audience_directory_id(owner))
        if directory is None:
            return []
        found = (self.load(Audience, UUID(hex=i)) for _, i in sorted(directory.audiences.items()))
        return [_view(a) for a in found if a is not None]

    def audience(self, principal: Principal, organizer: str, name: str) -> AudienceView:
        """Return one of ``organizer``'s audiences; NotVisibleError if there is none."""
        owner = self._owner(principal, organizer, writing=False)
        found = self.load(Audience, audience_id(owner, name))
        if found is None:
            raise NotVisibleError(f"{owner} has no audience called {name!r}")
        return _view(found)

    def add_to_audience(
        self,
        principal: Principal | None,
        organizer: str,
        name: str,
        invites: Sequence[UUID],
        now: datetime,
    ) -> AudienceView:
        """List ``invites`` (the organizer's own) in the audience, creating it if need be."""
        owner = self._owner(principal, organizer, writing=True)
        for invite in invites:
            found = self.load(Invite, invite)
            if found is None or found.organizer != owner:
                raise InvalidAudienceError(f"{owner} organizes no invite {invite}")
        audience = self.load(Audience, audience_id(owner, name))
        directory = self.load(AudienceDirectory, audience_directory_id(owner))
        changed: list[Any] = []
        if audience is None:
            audience_key(name)  # raises for a name no audience can have
            audience = Audience(organizer=owner, name=name, timestamp=now)
            if directory is None:
                directory = AudienceDirectory(organizer=owner, timestamp=now)
            directory.name(key=audience_key(name), audience=audience.id.hex, timestamp=now)
            changed += [audience, directory]
        new = audience.adding(list(invites))
        if new:
            audience.add(invites=new, timestamp=now)
            if audience not in changed:
                changed.append(audience)
        if changed:
            self.save(*changed)
        return _view(audience)

    def remove_from_audience(
        self,
        principal: Principal | None,
        organizer: str,
        name: str,
        invites: Sequence[UUID],
        now: datetime,
    ) -> AudienceView:
        """Stop listing ``invites`` in the audience (its feed link keeps working)."""
        owner = self._owner(principal, organizer, writing=True)
        audience = self.load(Audience, audience_id(owner, name))
        if audience is None:
            raise NotVisibleError(f"{owner} has no audience called {name!r}")
        listed = set(audience.invites)
        gone = [i.hex for i in invites if i.hex in listed]
        if gone:
            audience.remove(invites=gone, timestamp=now)
            self.save(audience)
        return _view(audience)

    # -- helpers -------------------------------------------------------------------------

    def _owner(self, principal: Principal | None, organizer: str, *, writing: bool) -> str:
        owner = normalize_address(organizer)
        if principal is None:
            return owner
        if not principal.may_read_organizer(owner):
            raise NotVisibleError
        if writing and not may_write(principal, owner):
            raise NotAllowedError("only the organizer or an admin may change their audiences")
        return owner

    def _canonical(self, kind: str, subject: str) -> str:
        feed = _kind(kind)
        if feed is FeedKind.ORGANIZER:
            return normalize_address(subject)
        if feed is FeedKind.DOMAIN:
            return subject.strip().lower()
        try:
            return str(UUID(subject))
        except ValueError:
            raise NotVisibleError from None

    def _generation(self, feed: FeedKind, subject: str) -> int:
        link = self.load(FeedLink, feed_link_id(feed, subject))
        return link.generation if link is not None else 0

    def _audience(self, subject: str) -> Audience | None:
        return self.load(Audience, UUID(subject))

    def _name(self, feed: FeedKind, subject: str, summaries: list[Summary]) -> str:
        if feed is FeedKind.DOMAIN:
            return f"Events at {subject}"
        if feed is FeedKind.AUDIENCE:
            audience = self._audience(subject)
            return audience.name if audience is not None else "Events"
        named = next((s["organizer_name"] for s in summaries if s.get("organizer_name")), None)
        return f"Events by {named or subject}"


def _kind(kind: str) -> FeedKind:
    try:
        return FeedKind(kind)
    except ValueError:
        raise NotVisibleError(f"no feed kind {kind!r}") from None


def _view(audience: Audience) -> AudienceView:
    return AudienceView(
        id=str(audience.id),
        organizer=audience.organizer,
        name=audience.name,
        invites=[str(i) for i in audience.invite_ids()],
    )


def _parsed(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


__all__ = ["MAX_EVENTS", "AudienceView", "FeedDocument", "FeedLinkInfo", "Feeds"]
