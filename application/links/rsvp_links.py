"""Use case: web RSVP links, the answer path for calendar clients that send no replies (iCloud).

A link answers like an emailed reply to the copy the server sent: it lands on the recipient's
Attendance stream with channel "server" and the SEQUENCE of the version the link was issued
for, so the newest answer wins and answers to a version replaced by a significant change stop
counting, whichever way they came.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from application.outbound.versions import outbound_of
from application.ports import InviteRenderer, InviteWording
from application.send_types import OutboundSettings
from application.stores import Loader
from domain.attendance import Attendance, Reply
from domain.delivery import Delivery, delivery_id
from domain.distribution import Distribution, distribution_id
from domain.identity import attendance_id
from domain.invite import Invite
from domain.invite_signatures import Capability, invite_signature, invite_signature_matches
from domain.outcomes import Outcome
from domain.reply_tokens import reply_token
from domain.web_links import LINK_TTL, InvalidLinkError, LinkClaim, read_link, sign_link

__all__ = ["WEB_PRODID", "InvalidLinkError", "LinkQuestion", "RsvpLinks", "WebAnswer"]

# What the RSVP report's client column shows for these answers (application/reading/report.py).
WEB_PRODID = "-//Calendar Invite Server//web RSVP//EN"
PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE")
# Two clicks on one link race for one stream; the loser reads again and decides again.
_ATTEMPTS = 3
_UNKNOWN_INVITE = "this link is for an invite this server does not know"
# Invites whose facts (title, wording, thresholds) are kept, newest used last out.
_KEPT_INVITES = 256
_KEPT_SECONDS = 60.0

# The version of a stream as stored now (None: nothing stored), read without rebuilding it.
Versions = Callable[[UUID], int | None]


@dataclass(frozen=True)
class _InviteFacts:
    """What a link's pages say of an invite and what an answer is measured against, as of
    one version of the invite's and its distribution's streams."""

    title: str | None
    sequence: int  # the organizer's SEQUENCE (Invite.sequence)
    significant_from: int | None  # the server's (Distribution.significant_from)
    wording: InviteWording | None


@dataclass(frozen=True)
class WebAnswer:
    """What became of a click on an RSVP link.

    ``outcome`` is "rsvp" when the answer is recorded and counts now; "duplicate" when this
    very answer (same time) is already recorded; "stale" when it does not count: a newer answer
    is recorded, or a significant change (time, place…) replaced the version the link was
    issued for (the answer is then kept in history, as an emailed one would be). Clicking the
    same answer again later records it again, newest wins: "rsvp".
    """

    invite: UUID
    address: str
    partstat: str  # ACCEPTED | DECLINED | TENTATIVE
    outcome: str  # "rsvp" | "duplicate" | "stale"
    title: str | None
    # The event as the invitation words it (when, zone, organizer…); None without a renderer.
    event: InviteWording | None = None


@dataclass(frozen=True)
class LinkQuestion:
    """What a click on an RSVP link would record, asked before anything is recorded.

    ``current`` is False when a significant change (time, place…) replaced the version the
    link was issued for: an answer through it would be kept in history but not count.
    """

    invite: UUID
    address: str
    partstat: str  # ACCEPTED | DECLINED | TENTATIVE
    title: str | None
    current: bool
    # The event as the invitation words it (when, zone, organizer…); None without a renderer.
    event: InviteWording | None = None


class RsvpLinks:
    """Issues signed, expiring RSVP links and records the answers they carry.

    With a ``renderer``, questions and answers also carry the event as the invitation words
    it, for the pages that ask and confirm. With ``versions``, what they say of the invite is
    rebuilt only when its stream or its distribution's has moved on: a click then reads the
    two streams' versions, the recipient's delivery and the stream it writes, and renders
    nothing it rendered before.
    """

    def __init__(
        self,
        load: Loader,
        save: Callable[..., object],
        settings: OutboundSettings,
        *,
        ttl: timedelta = LINK_TTL,
        renderer: InviteRenderer | None = None,
        versions: Versions | None = None,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError(f"an RSVP link must live for some time, not {ttl}")
        self._load = load
        self._save = save
        self._secret = settings.secret
        self._ttl = ttl
        self._renderer = renderer
        self._domain = settings.domain
        self._versions = versions
        self._facts: OrderedDict[tuple[UUID, int, int | None, int], _InviteFacts] = OrderedDict()
        self._facts_lock = threading.Lock()  # requests run on many threads

    def follow_versions(self, versions: Versions) -> None:
        """Keep what is said of invites until their streams move on (see the class)."""
        self._versions = versions

    def token(self, invite: UUID, address: str, sequence: int, now: datetime) -> str:
        """Return the link token for ``address``'s answer to version ``sequence`` of ``invite``."""
        recipient = reply_token(self._secret, invite, address)
        return sign_link(self._secret, LinkClaim(invite, recipient, sequence, now + self._ttl))

    def answer(self, token: str, partstat: str, now: datetime) -> WebAnswer:
        """Record the answer clicked on a link; raise InvalidLinkError if the link is no good."""
        wanted = _partstat(partstat)
        moment = _utc(now)
        claim = read_link(self._secret, token, moment)
        for attempt in range(_ATTEMPTS):
            try:
                return self._record(claim, wanted, moment)
            except RecordConflictError:
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def question(self, token: str, partstat: str, now: datetime) -> LinkQuestion:
        """Return what answering with the link would record, recording nothing (a GET may be
        a mail scanner); raise InvalidLinkError if the link is no good."""
        wanted = _partstat(partstat)
        claim = read_link(self._secret, token, _utc(now))
        facts = self._invite_facts(claim.invite)
        delivery = self._recipient(claim)
        return LinkQuestion(
            invite=claim.invite,
            address=delivery.address,
            partstat=wanted,
            title=facts.title,
            current=claim.sequence >= (facts.significant_from or 0),
            event=facts.wording,
        )

    def calendar_signature(self, invite: UUID) -> str:
        """Return the signature of public download links for ``invite``'s calendar file."""
        return invite_signature(self._secret, Capability.DOWNLOAD, invite)

    def verify_calendar_signature(self, invite: UUID, signature: str) -> bool:
        """Return whether ``signature`` signs ``invite``'s download link (constant-time)."""
        return invite_signature_matches(self._secret, Capability.DOWNLOAD, invite, signature)

    def _wording(self, invite: Invite) -> InviteWording | None:
        # The current state, worded as its next invitation would be; the recipient's own
        # address is no part of it, so whoever holds the link learns nothing about them.
        if self._renderer is None or (invite.master is None and not invite.occurrences):
            return None
        return self._renderer.describe(outbound_of(invite, 0, self._domain))

    def _invite_facts(self, invite: UUID) -> _InviteFacts:
        """Return what is said of ``invite`` now; raise InvalidLinkError if it is unknown.

        Without ``versions`` the invite and its distribution are read on every call. With
        them, two version reads tell whether the facts kept for the invite still hold: they
        are rebuilt from the streams only when either has moved on, so an answer never
        shows or counts against an older version than the one stored.
        """
        if self._versions is None:
            return self._read_facts(invite)
        version = self._versions(invite)
        if version is None:
            raise InvalidLinkError(_UNKNOWN_INVITE)
        # Kept a minute at most as well: an erasure changes what may be said (a name
        # shredded) without moving the invite's stream.
        minute = int(time.monotonic() // _KEPT_SECONDS)
        key = (invite, version, self._versions(distribution_id(invite)), minute)
        with self._facts_lock:
            kept = self._facts.get(key)
            if kept is not None:
                self._facts.move_to_end(key)
                return kept
        facts = self._read_facts(invite)
        with self._facts_lock:
            self._facts[key] = facts
            while len(self._facts) > _KEPT_INVITES:
                self._facts.popitem(last=False)
        return facts

    def _read_facts(self, invite_id: UUID) -> _InviteFacts:
        invite = self._load(Invite, invite_id)
        if invite is None:
            raise InvalidLinkError(_UNKNOWN_INVITE)
        distribution = self._load(Distribution, distribution_id(invite_id))
        return _InviteFacts(
            title=_title(invite),
            sequence=invite.sequence,
            significant_from=distribution.significant_from if distribution else None,
            wording=self._wording(invite),
        )

    def _recipient(self, claim: LinkClaim) -> Delivery:
        delivery = self._load(Delivery, delivery_id(claim.recipient))
        if delivery is None or delivery.invite != claim.invite:
            raise InvalidLinkError("this link was not issued to a recipient of this invite")
        return delivery

    def _record(self, claim: LinkClaim, partstat: str, now: datetime) -> WebAnswer:
        # Only the answer is written: the delivery names who answers, the invite's facts
        # (kept while its streams stand still) what the answer is measured against.
        facts = self._invite_facts(claim.invite)
        delivery = self._recipient(claim)
        stream = self._load(Attendance, attendance_id(claim.invite, delivery.address))
        stream = stream or Attendance(invite=claim.invite, address=delivery.address, timestamp=now)
        reply = Reply(
            partstat=partstat,
            dtstamp=now,
            sequence=claim.sequence,
            prodid=WEB_PRODID,
            channel="server",
            verified_by="the recipient's signed web RSVP link",
        )
        outcome = stream.record_reply(reply, now)
        if outcome is Outcome.RSVP:
            self._save(stream)
        return WebAnswer(
            invite=claim.invite,
            address=delivery.address,
            partstat=partstat,
            outcome=_outcome(outcome, facts, stream),
            title=facts.title,
            event=facts.wording,
        )


def _outcome(outcome: Outcome, facts: _InviteFacts, stream: Attendance) -> str:
    if outcome is not Outcome.RSVP:
        return outcome.value
    counts = stream.partstat(facts.sequence, server_sequence=facts.significant_from) is not None
    return outcome.value if counts else Outcome.STALE.value


def _partstat(text: str) -> str:
    wanted = text.strip().upper()
    if wanted not in PARTSTATS:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(f"unknown answer {shown!r}: the answer is accepted, declined or tentative")
    return wanted


def _title(invite: Invite) -> str | None:
    shown = invite.master or next(iter(invite.occurrences.values()), None)
    return shown.details.summary if shown else None


def _utc(now: datetime) -> datetime:
    # Emailed DTSTAMPs are aware UTC; a naive one would not even compare with them.
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
