"""Ports: what the application needs from the outside world, as abstract classes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from application.kept_mail import Envelope
from domain.authentication import SenderAuthentication
from domain.messages import ListRequest, ParsedMessage, Unusable
from domain.outbound import Addressee, OutboundInvite

if TYPE_CHECKING:
    from application.reading.report import ReportRow


class BlobStore(ABC):
    """Keeps raw messages, keyed by content hash, so any message can be read back and replayed."""

    @abstractmethod
    def put(self, data: bytes, envelope: Envelope | None = None) -> str:
        """Store ``data`` (idempotently) and return its key, the SHA-256 hex digest of the
        bytes alone; the first copy stored keeps ``envelope`` beside it."""

    def put_many(self, messages: Sequence[tuple[bytes, Envelope | None]]) -> list[str]:
        """Store each ``(data, envelope)`` as ``put`` does and return their keys; once this
        returns, all are kept. A store that syncs its writes syncs them together (group
        commit); this one stores them one by one."""
        return [self.put(data, envelope) for data, envelope in messages]

    @abstractmethod
    def get(self, key: str) -> bytes:
        """Return the bytes stored under ``key``; raise KeyError if there are none, and
        CorruptMessageError (after moving the copy aside) if they no longer match ``key``."""

    def envelope(self, key: str) -> Envelope | None:
        """Return the envelope kept with ``key``'s message (None for one kept without)."""
        return None

    def tidy(self) -> Sequence[object]:
        """Clean up what interrupted writes left behind; return what was cleaned."""
        return ()

    @abstractmethod
    def __contains__(self, key: str) -> bool:
        """Return whether ``key`` is stored."""

    @abstractmethod
    def arrivals(self) -> list[str]:
        """Return every stored key, oldest arrival first (for re-ingesting everything)."""

    # Uploads (recipient lists sent to the HTTP API) are kept apart from received mail: an
    # upload is never listed by arrivals() nor read by get(), so recovery never ingests one.

    @abstractmethod
    def put_upload(self, data: bytes) -> str:
        """Store an uploaded file (idempotently), apart from mail; return its SHA-256 hex key."""

    @abstractmethod
    def get_upload(self, key: str) -> bytes:
        """Return the upload stored under ``key``; raise KeyError if there is none."""

    # Erasure (a person's right to be forgotten). A needle is an address or a name; a
    # mapping gives what replaces each (an address by its erased placeholder), a sequence
    # has each replaced by a fixed word. Nothing of the person is left in the store's
    # files or objects afterwards: no older version, no envelope, no quarantined copy.

    @abstractmethod
    def erase(self, key: str) -> bool:
        """Delete ``key``'s message and all kept about it (envelope, quarantined copies,
        older object versions); return whether there was anything. The key stays readable
        as absent: get raises KeyError, arrivals() no longer lists it."""

    @abstractmethod
    def redact(self, key: str, needles: Sequence[str] | Mapping[str, str]) -> bool:
        """Rewrite ``key``'s message (and its envelope) with every needle replaced, under
        the same key; return whether anything mentioned one. get returns the redacted
        bytes from then on: they no longer hash to the key, and the store remembers that
        it made them so (a redacted message is no damage). A message the person cannot be
        cut out of (a part no decoder reaches) is erased whole instead."""

    @abstractmethod
    def redact_upload(self, key: str, needles: Sequence[str] | Mapping[str, str]) -> bool:
        """Drop from the upload at ``key`` (a recipient list) every row that names one of
        the person's addresses (a name alone names others too), under the same key; return
        whether any did."""

    @abstractmethod
    def redact_all(self, needles: Sequence[str] | Mapping[str, str]) -> int:
        """Redact every kept message, upload and quarantined copy that mentions one of the
        person's addresses (their name alone names others too); return how many changed."""


class SenderVerifier(ABC):
    """Decides who a raw message is from, as mail systems do: DKIM, SPF and DMARC alignment."""

    @abstractmethod
    def verify(
        self,
        raw: bytes,
        *,
        envelope_from: str | None,
        client_ip: str | None = None,
        helo: str | None = None,
    ) -> SenderAuthentication:
        """Return what verification says of ``raw``'s sender.

        Verifies its DKIM signatures, SPF for ``envelope_from`` when the connecting
        ``client_ip`` is known, and whether a passing domain is aligned with the From domain;
        or, behind a trusted mail server, reads the topmost ``Authentication-Results`` header
        of a configured authserv-id instead. Never raises for bad input or DNS failures (they
        become ``temperror``/``permerror`` results), and stays within a time budget.
        """


class MessageParser(ABC):
    """Turns raw RFC 5322 bytes (or a bare .ics file) into one parsed iTIP message."""

    @abstractmethod
    def parse(self, raw: bytes, *, sender: str | None = None) -> ParsedMessage:
        """Parse ``raw``; ``sender`` is the envelope sender, used when the message has no From.

        Never raises for bad input: anything unusable comes back as ``Unusable`` with a reason.
        """

    @abstractmethod
    def parse_list(self, raw: bytes) -> ListRequest | Unusable:
        """Read an email to the bulk mailbox: its sender, subject and CSV attachment."""

    def read_ahead(self, raw: bytes, *, sender: str | None = None) -> None:
        """Start parsing ``raw`` now, for a ``parse`` of the same bytes and sender soon after
        (messages arriving together: the next one is read while this one is recorded).
        A parser that cannot read ahead does nothing."""
        return


@dataclass(frozen=True)
class OutgoingMail:
    """One rendered message ready for a mailer: envelope addresses and the RFC 5322 bytes."""

    message_id: str
    sender: str
    recipient: str
    data: bytes


@dataclass(frozen=True)
class InviteWording:
    """An invite's event in the words its invitation mail uses: plain text, unescaped.

    ``when`` is in the event's zone with the zone's name ("Monday 10 March 2025, 10:00 to 11:00
    (Europe/Berlin)"), ``repeats`` the recurrence in words, ``organizer`` the name the
    invitation shows (never the organizer's own address).
    """

    title: str
    when: str | None
    repeats: str | None
    location: str | None
    organizer: str | None
    cancelled: bool


class InviteRenderer(ABC):
    """Builds the emails that carry an invite to many recipients.

    The rules they follow: docs/architecture.md, Outbound mail.
    """

    @abstractmethod
    def render(
        self,
        invite: OutboundInvite,
        addressees: Sequence[Addressee],
        *,
        sender: str,
        now: datetime,
    ) -> Iterator[OutgoingMail]:
        """Yield one email per addressee, in order; the invite is rendered once, then personalized.

        ``sender`` is the From address the server sends with; ``now`` is the DTSTAMP.
        """

    @abstractmethod
    def calendar_file(self, invite: OutboundInvite) -> bytes:
        """Return an "add to calendar" file of the version: METHOD:PUBLISH, no ATTENDEE or RSVP.

        It keeps the server UID and SEQUENCE (so a later emailed version updates it in place)
        and has a VTIMEZONE per TZID, CRLF line ends and lines folded at 75 octets.
        """

    @abstractmethod
    def describe(self, invite: OutboundInvite) -> InviteWording:
        """Return the version's event as its invitation words it (for web pages about it)."""


class DeliveryError(Exception):
    """A message could not be handed over; ``reason`` says why, for records and the organizer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryDeliveryError(DeliveryError):
    """Try again later (connection refused, 4xx, throttling): the send stays pending."""


class PermanentDeliveryError(DeliveryError):
    """Never retry (5xx, address rejected): the send is recorded as failed."""


class Mailer(ABC):
    """Hands rendered messages to a mail system."""

    @abstractmethod
    def send(self, mail: OutgoingMail) -> str:
        """Deliver ``mail`` and return where it went (a file path, a queue id, a provider id).

        Sending the same Message-ID again must not create a second copy where the mailer can
        tell (the outbox folder overwrites); raise TemporaryDeliveryError or
        PermanentDeliveryError on failure, never anything else for delivery problems.
        """

    # Whether handing the same Message-ID over again can never make a second copy anywhere
    # (the outbox folder overwrites its file). Only such a mailer is given whole pages: a
    # crash between a page's hand-over and its recorded outcomes then costs a retry of the
    # page, never a copy anyone sees twice. Relays (SMTP, SES) are handed one message at a
    # time, each outcome saved before the next, so a crash duplicates at most one message.
    overwrites: bool = False

    def send_page(self, mails: Sequence[OutgoingMail]) -> list[str | DeliveryError]:
        """Deliver each of ``mails``; return, in order, where each went or why it did not.

        A mailer may make the page durable as a whole (one sync for all of its files); what
        it returns is durable once it returns, as with ``send``.
        """
        results: list[str | DeliveryError] = []
        for mail in mails:
            try:
                results.append(self.send(mail))
            except DeliveryError as error:
                results.append(error)
        return results

    # Erasure: a mailer that keeps copies of what it sent (the outbox folder) removes the
    # person from them; one that hands mail on and keeps nothing has nothing to do.

    def erase(self, where: str) -> bool:
        """Delete the copy kept at ``where`` (what ``send`` returned); return whether there
        was one. Mailers that keep no copy return False."""
        return False

    def redact_all(self, needles: Sequence[str] | Mapping[str, str]) -> int:
        """Redact every kept copy that mentions one of the person's addresses; return how
        many changed. Mailers that keep no copy return 0."""
        return 0


@dataclass(frozen=True)
class RecipientRow:
    """One row of a recipient list: its line number, and the recipient or why it is unusable."""

    line: int
    address: str
    name: str | None = None
    problem: str | None = None


class UnreadableListError(ValueError):
    """A recipient list that cannot be read at all (not CSV); the message says why."""


class ListTooLargeError(UnreadableListError):
    """A recipient list over the configured size or number of rows."""


class RecipientListReader(ABC):
    """Reads an uploaded recipient list (CSV: ``email`` and optional ``name``)."""

    @abstractmethod
    def read(self, data: bytes) -> list[RecipientRow]:
        """Return every data row, usable or not (a bad row is a row with a problem).

        Raises ``UnreadableListError`` for a list that is not readable as a whole (malformed,
        or too large: ``ListTooLargeError``).
        """

    def rows(self, data: bytes) -> Iterator[RecipientRow]:
        """Yield the rows of :meth:`read` one at a time, as they are read (for lists too long
        to hold as rows). What makes the list unreadable is raised when it is reached."""
        yield from self.read(data)


@dataclass(frozen=True)
class Notice:
    """Something the organizer is told by email (never in answer to a bounce or an auto-reply).

    ``kind`` is one of: ``created``, ``rejected``, ``limit``, ``held``, ``bulk-summary``,
    ``rsvp-report``, ``counter``, ``forwarded-reply``, ``webhook-disabled`` (an endpoint
    stopped: ``endpoint``, ``url``, ``reason``). ``facts`` are kind-specific plain-text
    values (reason, counts, attendee, proposed time…); ``attachment`` is (filename, bytes).
    """

    kind: str
    to: str
    invite: UUID | None = None
    title: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict)
    attachment: tuple[str, bytes] | None = None


class NoticeSender(ABC):
    """Tells organizers what happened to their invites, by email."""

    @abstractmethod
    def send(self, notice: Notice, *, now: datetime) -> str:
        """Render and send ``notice``; return where it went (as Mailer.send does).

        Raises TemporaryDeliveryError or PermanentDeliveryError like a Mailer.
        """


@dataclass(frozen=True)
class Announcement:
    """A domain fact other services may act on: an invite was created, updated or cancelled."""

    kind: str  # created | updated | cancelled
    invite: UUID
    organizer: str
    uid: str
    sequence: int
    at: datetime

    def as_dict(self) -> dict[str, object]:
        """Return the JSON shape published."""
        return {
            "kind": self.kind,
            "invite": str(self.invite),
            "organizer": self.organizer,
            "uid": self.uid,
            "sequence": self.sequence,
            "at": self.at.isoformat(),
        }


class Announcer(ABC):
    """Publishes domain announcements (SNS topics on AWS, a local file on the embedded default)."""

    @abstractmethod
    def publish(self, announcement: Announcement) -> None:
        """Publish one announcement; raise on failure (the caller decides what a failure costs)."""


@dataclass(frozen=True)
class Job:
    """Sending work deferred to a worker, so ingesting a message never waits on a big audience.

    ``catch-up``: send the current version of ``invite`` to one roster ``page`` of recipients
    (an update or cancellation reaching everyone, or an approved one). ``bulk``: send ``invite``
    to rows ``first`` to ``first + count - 1`` of the list in the kept raw ``message``.
    ``webhook``: attempt the webhook message whose id is ``invite`` (``application/webhooks``).
    Every job is idempotent: a redelivered one finds each recipient already served.
    """

    kind: str
    invite: UUID
    page: int = 0
    message: str | None = None
    first: int = 0
    count: int = 0
    part: int = 1
    parts: int = 1
    # Seconds the queue holds the job back (at most 900 on SQS): a webhook's next attempt.
    delay: int = 0

    def as_dict(self) -> dict[str, object]:
        """Return the JSON shape a queue carries."""
        return {
            "kind": self.kind,
            "invite": str(self.invite),
            "page": self.page,
            "message": self.message,
            "first": self.first,
            "count": self.count,
            "part": self.part,
            "parts": self.parts,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Job:
        """Read a job back; raise ValueError (naming the problem) for anything malformed."""
        kind = data.get("kind")
        if kind not in ("catch-up", "bulk", "webhook"):
            raise ValueError(f"unknown job kind: {kind!r}")
        try:
            invite = UUID(str(data["invite"]))
            numbers = {
                name: int(str(data.get(name, default)))
                for name, default in (("page", 0), ("first", 0), ("count", 0), ("part", 1))
            }
            parts = int(str(data.get("parts", 1)))
        except (KeyError, ValueError) as error:
            raise ValueError(f"malformed {kind} job: {error}") from error
        message = data.get("message")
        if kind == "bulk" and not isinstance(message, str):
            raise ValueError("a bulk job names the kept raw message it sends from")
        return cls(
            str(kind),
            invite,
            message=message if isinstance(message, str) else None,
            parts=parts,
            **numbers,
        )


class WorkQueue(ABC):
    """Hands jobs to workers (SQS on AWS); without one, the service does the work at once."""

    @abstractmethod
    def put(self, jobs: Sequence[Job]) -> None:
        """Enqueue every job, or raise: a job must never be silently dropped."""

    @abstractmethod
    def receive(self, limit: int = 10, wait: float = 0) -> list[Received]:
        """Take up to ``limit`` jobs (waiting up to ``wait`` seconds for the first); each stays
        invisible to other workers until ``done`` or until the queue's timeout returns it."""

    @abstractmethod
    def done(self, received: Received) -> None:
        """Remove a finished job for good."""


@dataclass(frozen=True)
class Received:
    """A job taken from a queue: the job (or why its body is unreadable) and its handle."""

    handle: str
    job: Job | None
    problem: str | None = None
    deliveries: int = 1


class ReportFormat(ABC):
    """Writes the RSVP report as a file organizers open (CSV that spreadsheets read safely)."""

    media_type: str = "text/csv"

    @abstractmethod
    def write(self, rows: Iterable[ReportRow]) -> bytes:
        """Return the file's bytes: a header, then one line per row."""


class Processes(ABC):
    """The processes of this host, as far as claims on sends need to know them: a claim whose
    holder is known to have stopped lapses at once instead of after its timeout."""

    host: str

    @abstractmethod
    def current(self) -> int:
        """Return this process's id."""

    @abstractmethod
    def running(self, pid: int) -> bool:
        """Return whether process ``pid`` of this host exists (True when that cannot be told)."""
