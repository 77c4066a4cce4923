"""The outbound flow's front door: sending invites, held updates, retries and queued work."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from uuid import UUID

from application.errors import InviteNotFoundError
from application.inbound.bulk_mail import recipients_of
from application.outbound.dispatch import Dispatch
from application.outbound.notices import Notifier, deferred_notices
from application.outbound.pending import PendingSends
from application.outbound.sender import Sender
from application.outbound.suppressions import Suppressions
from application.ports import (
    BlobStore,
    Job,
    MessageParser,
    RecipientListReader,
    RecipientRow,
    ReportFormat,
)
from application.reading.queries import all_invite_ids, find_invite
from application.reading.report import ReportRow, RsvpReports
from application.send_types import Progress, Recipient, SendOutcome, SendResult, SendTally
from application.store import InviteStore
from domain.invite import Invite
from domain.messages import ListRequest, Unusable
from domain.pacing import interleave_by_domain, receiving_domain


@dataclass(frozen=True)
class KeptLists:
    """Reads again the recipient list of a kept list email (a queued part's share)."""

    parser: MessageParser
    blobs: BlobStore
    lists: RecipientListReader

    def read(self, digest: str) -> tuple[list[Recipient], list[RecipientRow]]:
        """Return the usable recipients and the unusable rows of the list mailed in ``digest``."""
        request = self.parser.parse_list(self.blobs.get(digest))
        if isinstance(request, Unusable):
            raise ValueError(f"the list in message {digest} can no longer be read")
        return recipients_of(self.lists, request)


class ListGoneError(LookupError):
    """The uploaded list is no longer kept (or was never uploaded)."""


@dataclass(frozen=True)
class RepeatedRow:
    """A usable row of a list whose address an earlier row has: it is sent once, as that row."""

    line: int
    address: str
    first_line: int

    @property
    def reason(self) -> str:
        """Say which earlier line this one repeats."""
        return (
            f"line {self.line} repeats {self.address} from line {self.first_line}: "
            f"sent once, as line {self.first_line}"
        )


@dataclass(frozen=True)
class ListPreview:
    """What sending an uploaded list would do; nothing is sent until it is confirmed."""

    upload_id: str
    # Binds the upload to one invite: only whoever saw the preview can send it.
    confirmation: str
    recipients: list[Recipient]
    invalid: list[RecipientRow]
    duplicates: int
    # The rows counted in ``duplicates``, each with the line it repeats.
    repeated: list[RepeatedRow] = field(default_factory=list)


def repeated_rows(rows: list[RecipientRow]) -> list[RepeatedRow]:
    """Return the usable rows whose address an earlier usable row has, in list order."""
    first: dict[str, int] = {}
    repeated = []
    for row in rows:
        if row.problem is not None:
            continue
        if row.address in first:
            repeated.append(RepeatedRow(row.line, row.address, first[row.address]))
        else:
            first[row.address] = row.line
    return repeated


class _AlreadyRead(RecipientListReader):
    """The rows of a list read once, for ``recipients_of`` to pick from without reading again."""

    def __init__(self, rows: list[RecipientRow]) -> None:
        self._rows = rows

    def read(self, data: bytes) -> list[RecipientRow]:
        return self._rows


class Outbound:
    """Send, approve, retry, queued jobs, uploaded lists, the emailed report, and the
    suppression list (``suppressions``)."""

    def __init__(
        self,
        store: InviteStore,
        *,
        sender: Sender,
        notifier: Notifier,
        dispatch: Dispatch,
        kept_lists: KeptLists,
        report_format: ReportFormat,
        reports: RsvpReports,
    ) -> None:
        self.store = store
        self.load = store.load
        self.sender = sender
        self.notifier = notifier
        self.dispatch = dispatch
        self.kept_lists = kept_lists
        self.report_format = report_format
        self.reports = reports
        # Who must not be mailed (suppress, lift, list, counts) and unsubscribe links; the
        # sender consults the same records on every send.
        self.suppressions = Suppressions(store, sender.settings.secret)

    def send(
        self,
        ref: str,
        recipients: Iterable[Recipient],
        *,
        now: datetime,
        invalid: Sequence[RecipientRow] = (),
        summary: bool = False,
        progress: Progress | None = None,
    ) -> list[SendResult]:
        """Send the invite's current version to each recipient (once per version).

        With ``summary`` (bulk sends) the organizer is told the counts and the ``invalid`` rows.
        """
        pages = self.send_pages(ref, recipients, now=now, invalid=invalid, summary=summary)
        return _flattened(pages, progress)

    def send_pages(
        self,
        ref: str,
        recipients: Iterable[Recipient],
        *,
        now: datetime,
        invalid: Sequence[RecipientRow] = (),
        summary: bool = False,
    ) -> Iterator[list[SendResult]]:
        """Send as :meth:`send` does, yielding the results a page at a time as they are saved;
        ``recipients`` is read as the send goes. The organizer is told once the last page is
        out. Raises ``InviteNotFoundError`` before anything is sent."""
        invite = find_invite(self.load, ref)
        return self._sent_pages(
            invite, self.sender.stream(invite, recipients, now), invalid, now, summary
        )

    def _sent_pages(
        self,
        invite: Invite,
        pages: Iterable[list[SendResult]],
        invalid: Sequence[RecipientRow],
        now: datetime,
        summary: bool,
    ) -> Iterator[list[SendResult]]:
        """Yield ``pages``, counting them, then tell the organizer (only counts are kept)."""
        tally = SendTally()
        for page in pages:
            for result in page:
                tally.add(result)
            yield page
        if summary:
            self.sender.finish_bulk(invite, tally, len(invalid), now)
        self.notifier.sent(invite, tally, invalid, now, summary=summary)

    def preview_list(self, ref: str, data: bytes) -> ListPreview:
        """Read an uploaded recipient list and keep it for ``send_list``; nothing is sent.

        A list that is not readable raises ``UnreadableListError`` and is not kept. Uploads are
        kept apart from received mail: recovery (re-ingesting) never reads one.
        """
        invite = find_invite(self.load, ref)
        rows = self.kept_lists.lists.read(data)
        # The same choice of recipients as a list mailed to the bulk mailbox.
        recipients, invalid = recipients_of(_AlreadyRead(rows), _uploaded(data))
        repeated = repeated_rows(rows)
        upload_id = self.kept_lists.blobs.put_upload(data)
        return ListPreview(
            upload_id=upload_id,
            confirmation=self._confirmation(invite.id, upload_id),
            recipients=recipients,
            invalid=invalid,
            duplicates=len(repeated),
            repeated=repeated,
        )

    def preview_upload(self, ref: str, upload_id: str) -> ListPreview:
        """Return the preview of a list already uploaded (shown again before it is sent).

        Raises ``ListGoneError`` when the upload is no longer kept.
        """
        try:
            data = self.kept_lists.blobs.get_upload(upload_id)
        except KeyError:
            raise ListGoneError(upload_id) from None
        return self.preview_list(ref, data)

    def confirms_list(self, invite: UUID, upload_id: str, confirmation: str) -> bool:
        """Return whether ``confirmation`` is the one the preview of ``upload_id`` for
        ``invite`` handed out."""
        expected = self._confirmation(invite, upload_id)
        # As bytes: compare_digest refuses str with non-ASCII characters.
        return hmac.compare_digest(expected.encode(), confirmation.encode())

    def send_list(
        self,
        ref: str,
        upload_id: str,
        *,
        now: datetime,
        origin: str = "bulk",
        progress: Progress | None = None,
    ) -> list[SendResult]:
        """Send a previewed list to its usable recipients (origin ``bulk`` unless told) and
        tell the organizer the counts; answer the unusable rows (``invalid``) and the rows
        that repeat an earlier one (``duplicate``) first, in the list's order, then the sends.

        Raises ``ListGoneError`` when the upload is no longer kept.
        """
        return _flattened(self.send_list_pages(ref, upload_id, now=now, origin=origin), progress)

    def send_list_pages(
        self, ref: str, upload_id: str, *, now: datetime, origin: str = "bulk"
    ) -> Iterator[list[SendResult]]:
        """Send a previewed list as :meth:`send_list` does, yielding the results a page at a
        time: the unusable and repeated rows first, then each page of sends as it is saved.

        The list is read row by row, twice: once to answer the rows not sent (and to find
        a list that became unreadable before anything goes), then as it is sent. What is
        held is the upload and its addresses, bounded by the list limits, never the rows
        or the results. Raises ``ListGoneError`` (or ``InviteNotFoundError``) before
        anything is sent.
        """
        try:
            data = self.kept_lists.blobs.get_upload(upload_id)
        except KeyError:
            raise ListGoneError(upload_id) from None
        invite = find_invite(self.load, ref)
        reader = self.kept_lists.lists
        invalid: list[RecipientRow] = []
        unsent: list[SendResult] = []
        first: dict[str, int] = {}
        for row in reader.rows(data):
            if row.problem is not None:
                invalid.append(row)
                unsent.append(SendResult(row.address, SendOutcome.INVALID, reason=row.problem))
            elif row.address in first:
                repeat = RepeatedRow(row.line, row.address, first[row.address])
                unsent.append(SendResult(row.address, SendOutcome.DUPLICATE, reason=repeat.reason))
            else:
                first[row.address] = row.line
        usable = _usable(reader.rows(data), first, origin)
        sends = self.sender.stream(invite, usable, now)
        return chain(_pages(unsent), self._sent_pages(invite, sends, invalid, now, True))

    def _confirmation(self, invite: UUID, upload_id: str) -> str:
        """Return the token that binds an uploaded list to one invite (HMAC, server secret)."""
        message = f"bulk-list\n{invite}\n{upload_id}".encode()
        return hmac.new(self.sender.settings.secret, message, hashlib.sha256).hexdigest()

    def approve(
        self, ref: str, *, now: datetime, progress: Progress | None = None
    ) -> list[SendResult]:
        """Release an update held for review and send it to everyone who received the invite.

        With a work queue the sending is queued and nothing is returned.
        """
        return self.dispatch.approve(find_invite(self.load, ref), now, progress)

    def work(self, job: Job, *, now: datetime) -> list[SendResult]:
        """Do one queued job; redoing it is harmless (each recipient is served once)."""
        invite = self.load(Invite, job.invite)
        if invite is None:
            raise InviteNotFoundError(f"no invite {job.invite} for a queued {job.kind} job")
        if job.kind == "catch-up":
            results = self.sender.catch_up(invite, now, page=job.page)
            self.notifier.sent(invite, results, (), now, summary=False)
            return results
        recipients, invalid = self.kept_lists.read(job.message or "")
        # Parts are cut from the list spread across receiving domains (deterministically, so
        # each part's bounds stay the same however often it is run), not in the list's order.
        recipients = interleave_by_domain(recipients, lambda r: receiving_domain(r.address))
        share = recipients[job.first : job.first + job.count]
        results = self.sender.send(invite, share, now)
        # Unusable rows are reported once, with the first part.
        reported = invalid if job.part == 1 else ()
        tally = SendTally.of(results)
        self.sender.finish_bulk(invite, tally, len(reported), now, part=job.part, parts=job.parts)
        self.notifier.sent(invite, tally, reported, now, summary=True)
        return results

    def retry(
        self, ref: str | None = None, *, now: datetime, progress: Progress | None = None
    ) -> list[SendResult]:
        """Send pending versions again (one invite, or every invite ever sent), then the
        organizer notices kept because the mailer could not take them (that invite's only)."""
        refs = [ref] if ref is not None else [str(i) for i in all_invite_ids(self.store)]
        invites = [find_invite(self.load, each) for each in refs]
        sender = self.sender
        results = [r for invite in invites for r in sender.catch_up(invite, now, progress=progress)]
        only = invites[0].id if ref is not None else None
        kept = deferred_notices(self.store)
        return results + self.notifier.retry(kept, now, invite=only, progress=progress)

    def pending_sends(self) -> PendingSends:
        """Return a memory for :meth:`retry_due` rounds (one per retrying process)."""
        return PendingSends(self.store)

    def retry_due(self, pending: PendingSends, *, now: datetime) -> list[SendResult]:
        """Send what is pending, looking only at the invites with news since the last round
        (see ``outbound/pending.py``): what ``cis serve`` does every minute."""
        due = pending.due(now)
        ids = all_invite_ids(self.store) if due.invites is None else due.invites
        invites = [invite for invite in (self.load(Invite, i) for i in ids) if invite is not None]
        sends = [r for invite in invites for r in self.sender.catch_up(invite, now)]
        notices = self.notifier.retry(deferred_notices(self.store), now) if due.notices else []
        pending.settled(sends, notices)
        return sends + notices

    def email_report(self, ref: str, *, now: datetime) -> list[ReportRow]:
        """Send the organizer their RSVP report as a file; return its rows."""
        invite = find_invite(self.load, ref)
        rows = list(self.reports.rows(invite.id))
        report = self.report_format.write(rows)
        self.notifier.report(invite, Counter(row.status for row in rows), report, now)
        return rows


def _usable(
    rows: Iterable[RecipientRow], first: dict[str, int], origin: str
) -> Iterator[Recipient]:
    """Yield the usable rows' recipients, each address once (as its ``first`` row), as
    ``recipients_of`` chooses them from a list mailed to the bulk mailbox."""
    for row in rows:
        if row.problem is None and first.get(row.address) == row.line:
            yield Recipient(row.address, row.name, origin)


def _pages(results: list[SendResult], size: int = 1_000) -> Iterator[list[SendResult]]:
    for start in range(0, len(results), size):
        yield results[start : start + size]


def _flattened(pages: Iterable[list[SendResult]], progress: Progress | None) -> list[SendResult]:
    """Return every result of ``pages``, each told to ``progress`` as its page comes."""
    results: list[SendResult] = []
    for page in pages:
        for result in page:
            results.append(result)
            if progress is not None:
                progress(result)
    return results


def _uploaded(data: bytes) -> ListRequest:
    """Return an uploaded list as the request a list mailed to the bulk mailbox makes."""
    return ListRequest(sender=None, subject=None, attachment=data)
