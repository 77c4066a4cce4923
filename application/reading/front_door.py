"""The reading flow's front door: invites, histories, reports, the outbox, the dashboards.

Reads of one invite's own streams are current; the dashboards' views (``views``) are
projections kept current in the background, and may lag by a few events. The RSVP report
reads the views too, after bringing them up to date where this process keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any
from uuid import UUID

from application.access import (
    NotAllowedError,
    NotVisibleError,
    check_readable,
    check_writable,
    sees_addresses,
    shown_attendees,
)
from application.ports import ReportFormat
from application.projections.queries import Page, Reports
from application.reading.cursors import SealedCursors
from application.reading.history import HistoryEntry, history_entry
from application.reading.outbox import OutboxEntry, outbox
from application.reading.queries import all_invite_ids, find_invite, invite_history, show_invite
from application.reading.report import (
    PAGE,
    RecipientView,
    ReportRow,
    RsvpReports,
    recipients,
)
from application.reading.schedule import over_warning
from application.reading.views import InviteView
from application.store import InviteStore
from domain.api_keys import Principal
from domain.distribution import Distribution, distribution_id
from domain.identity import received_message_id
from domain.indexes import InboundMessage
from domain.invite import Invite


class Reading:
    """Show, history, recipients, outbox and receipts from the event store; the report and
    ``views`` (the dashboards) from the views."""

    def __init__(
        self,
        store: InviteStore,
        *,
        views: Reports,
        report_format: ReportFormat,
        cursors: SealedCursors,
        reports: RsvpReports | None = None,
    ) -> None:
        self.store = store
        self.load = store.load
        self.views = views
        self.report_format = report_format
        self.cursors = cursors
        self.reports = reports or RsvpReports(views)

    def show(self, ref: str) -> InviteView:
        """Return the current state of the invite named by id or UID."""
        return show_invite(self.load, ref)

    def history(self, ref: str) -> list[HistoryEntry]:
        """Return the invite's stored events in order."""
        return invite_history(self.store, self.load, ref)

    def history_of(self, invite: UUID) -> list[HistoryEntry]:
        """Return the stored events of the invite with this id, in order: one read of its
        stream, without rebuilding the invite (whose summary the caller read)."""
        return [history_entry(e) for e in self.store.events.get(invite)]

    def invites(self) -> Iterator[InviteView]:
        """Yield every invite's current state, oldest first."""
        for invite in all_invite_ids(self.store):
            yield show_invite(self.load, str(invite))

    def report(self, ref: str) -> Iterator[ReportRow]:
        """Return one row per recipient, by address: the answer that counts now, origin and
        client (read lazily from the views, a page at a time, so a report of any size
        streams)."""
        return self.reports.rows(find_invite(self.load, ref).id)

    def recipients(self, ref: str) -> list[RecipientView]:
        """Return everyone the server sent the invite to: their answer and delivery state
        (the invite's own ATTENDEEs, the organizer's list, are ``show``'s)."""
        return recipients(self.load, find_invite(self.load, ref), self.store.load_many)

    def send_warnings(self, ref: str, *, now: datetime) -> list[str]:
        """Return what a person about to send the invite should know (it is over); sending
        is still allowed."""
        warning = over_warning(find_invite(self.load, ref), now)
        return [warning] if warning else []

    def report_file(self, rows: Iterable[ReportRow]) -> bytes:
        """Return ``rows`` as the report file organizers open (CSV)."""
        return self.report_format.write(rows)

    def report_file_pieces(self, rows: Iterable[ReportRow], page: int = PAGE) -> Iterator[bytes]:
        """Yield the report file in pieces of ``page`` rows: ``report_file`` when joined,
        with no more than a page in memory."""
        # A format writes a header, then one line per row (ReportFormat.write): the header
        # of an empty file is what every later piece starts with, and is written once.
        header = self.report_format.write(())
        yield header
        source = iter(rows)
        while chunk := list(islice(source, page)):
            yield self.report_format.write(chunk)[len(header) :]

    def outbox(self) -> Iterator[OutboxEntry]:
        """Yield every send attempt: to whom, which version, and what became of it."""
        return outbox(self.store, self.load)

    def receipt(self, digest: str) -> InboundMessage | None:
        """Return the receipt of a raw message: its outcome, and who vouched for its sender."""
        return self.load(InboundMessage, received_message_id(digest.strip().lower()))

    def summary_for(self, principal: Principal, invite: UUID) -> dict[str, Any]:
        """Return the invite's dashboard summary if ``principal`` may read it."""
        summary = self.views.invite(invite)
        if summary is None:
            raise NotVisibleError
        check_readable(principal, summary["organizer"])
        return summary

    def summary_to_act_on(self, principal: Principal, invite: UUID) -> dict[str, Any]:
        """Return the invite's dashboard summary if ``principal`` may act on it (for the
        pages that show an action's form: the action itself checks with ``invite_for``)."""
        summary = self.views.invite(invite)
        if summary is None:
            raise NotVisibleError
        check_writable(principal, summary["organizer"])
        return summary

    def attendees_for(
        self,
        principal: Principal,
        invite: UUID,
        *,
        cursor: str | None = None,
        limit: int = 50,
        status: str | None = None,
        prefix: str | None = None,
    ) -> Page:
        """Return a page of the invite's attendees as ``principal`` may see them.

        Those who may read the invite but not its attendees' addresses (a domain's owner)
        get them masked, cursors they cannot read (a cursor is the last address of its page),
        and no search by address (its answers would spell out what the masks hide).
        """
        return self.attendees_of(
            principal,
            self.summary_for(principal, invite),
            cursor=cursor,
            limit=limit,
            status=status,
            prefix=prefix,
        )

    def attendees_of(
        self,
        principal: Principal,
        summary: dict[str, Any],
        *,
        cursor: str | None = None,
        limit: int = 50,
        status: str | None = None,
        prefix: str | None = None,
    ) -> Page:
        """Return a page of the attendees of the invite whose ``summary_for`` the caller
        already read (``attendees_for`` without reading the summary twice)."""
        invite = UUID(summary["invite"])
        organizer = summary["organizer"]
        sees = sees_addresses(principal, organizer)
        if prefix is not None and not sees:
            raise NotAllowedError("only the invite's organizer or an admin may search addresses")
        after = cursor if sees else self.cursors.open(cursor)
        page = self.views.attendees(invite, after, limit, status=status, prefix=prefix)
        rows = shown_attendees(principal, organizer, page.items)
        return Page(rows, page.cursor if sees else self.cursors.seal(page.cursor))

    def held_for_review(self, invite: UUID) -> bool:
        """Return whether an update of the invite waits for review before it goes out (read
        from the distribution's own stream: the views do not keep it)."""
        distribution = self.load(Distribution, distribution_id(invite))
        return distribution is not None and distribution.held

    def held_among(self, invites: Sequence[UUID]) -> set[UUID]:
        """Return which of ``invites`` hold an update for review, their distributions read
        together (one query where the store can: a page lists dozens of invites)."""
        found = self.store.load_many([distribution_id(invite) for invite in invites])
        return {d.invite for d in found.values() if isinstance(d, Distribution) and d.held}

    def held_since(self, invite: UUID) -> datetime | None:
        """Return when the update waiting for review was held (None: nothing is held); the
        invite's history entries from then on are what approving it sends."""
        distribution = self.load(Distribution, distribution_id(invite))
        if distribution is None or not distribution.held:
            return None
        entries = [history_entry(e) for e in self.store.events.get(distribution.id)]
        held = [e.timestamp for e in entries if e.type == "UpdateHeld"]
        return held[-1] if held else None

    def invite_for(self, principal: Principal, invite: UUID) -> Invite:
        """Return the invite (from its own stream, never a lagging view) if ``principal``
        may act on it."""
        found = self.load(Invite, invite)
        if found is None:
            raise NotVisibleError
        check_writable(principal, found.organizer)
        return found
