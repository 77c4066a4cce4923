"""Hand-written fakes and message builders shared by the tests (no mocks, no monkeypatching)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypedDict, Unpack

from dependency_injector import providers

from application.ports import Mailer, MessageParser, NoticeSender, OutgoingMail, SenderVerifier
from application.results import IngestResult
from application.store import InviteStore
from domain.authentication import SenderPolicy
from domain.identity import normalize_address
from domain.messages import ItipMessage, ListRequest, ParsedMessage, Unusable
from domain.values import Attendee, Component, EventDetails, Method
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import Driver

ORGANIZER = "alice@example.com"
UID = "weekly-sync-1@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
DAVE = "dave@example.com"

# Every test's clock starts here; messages and commands say their time explicitly.
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
START = "2025-03-10T10:00:00+00:00"
END = "2025-03-10T11:00:00+00:00"


def at(minutes: int) -> datetime:
    """Return the instant ``minutes`` after :data:`T0`."""
    return T0 + timedelta(minutes=minutes)


class FakeParser(MessageParser):
    """Parses only raw bytes it handed out: each registered message gets raw bytes of its own."""

    def __init__(self) -> None:
        self.messages: dict[bytes, ParsedMessage] = {}

    def register(self, message: ParsedMessage) -> bytes:
        """Return new raw bytes that parse as ``message`` (a re-sent copy gets new bytes)."""
        raw = f"fake message #{len(self.messages) + 1}\r\n".encode()
        self.messages[raw] = message
        return raw

    def parse_list(self, raw: bytes) -> ListRequest | Unusable:
        """Fakes carry no recipient lists: every bulk email is refused."""
        return Unusable("no-list", f"the fake parser reads no lists ({len(raw)} bytes)")

    def parse(self, raw: bytes, *, sender: str | None = None) -> ParsedMessage:
        """Return the registered message; the envelope sender stands in for a missing From.

        A message built with a ``sender`` is an email whose one From header is that sender,
        unless it names its ``from_addresses`` itself.
        """
        message = self.messages.get(bytes(raw))
        if message is None:
            return Unusable("malformed", "these bytes were never handed out by the fake parser")
        if not isinstance(message, ItipMessage):
            return message
        if message.sender is not None and not message.from_addresses:
            return replace(message, from_addresses=(message.sender,))
        if message.sender is None and sender is not None:
            return replace(message, sender=normalize_address(sender))
        return message


class KeptMail(Mailer):
    """Keeps every mail it is given, in memory."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> str:
        self.sent.append(mail)
        return f"kept #{len(self.sent)}"


def new_service(
    env: dict[str, str] | None = None,
    *,
    open_registry: bool = True,
    parser: FakeParser | None = None,
    sender_policy: SenderPolicy = SenderPolicy.OFF,
    verifier: SenderVerifier | None = None,
    notices: NoticeSender | None = None,
    relays: frozenset[str] = frozenset(),
) -> Driver:
    """Return the application on POPO (or ``env``) with a FakeParser, built by the real
    composition root (memory backend; mail kept in memory, organizers told nothing unless
    ``notices`` says otherwise).

    Fake messages carry no mail authentication, so the sender policy is ``off`` unless a
    test says otherwise (with a ``verifier`` of its own).
    """
    settings = Settings(
        backend="memory",
        open_registry=open_registry,
        sender_policy=sender_policy.value,
        calendar_relays=",".join(sorted(relays)),
        notify_organizers=notices is not None,
    )
    container = bootstrap(settings)
    container.parser.override(providers.Object(parser or FakeParser()))
    container.mailer.override(providers.Object(KeptMail()))
    if verifier is not None:
        container.verifier.override(providers.Object(verifier))
    if notices is not None:
        container.notices.override(providers.Object(notices))
    if env is not None:
        container.store.override(providers.Singleton(InviteStore, env))
    return Driver(container)


def deliver(
    service: Driver,
    message: ParsedMessage,
    *,
    now: datetime | None = None,
    envelope_to: str | None = None,
    envelope_from: str | None = None,
) -> IngestResult:
    """Hand ``message`` to the service as a freshly received email.

    Unless ``now`` says otherwise it arrives when it was stamped (its latest DTSTAMP, or
    :data:`T0`), as mail does: a DTSTAMP from the future is ordered as its arrival.
    """
    parser = service.parser
    assert isinstance(parser, FakeParser), "deliver() needs a service built with a FakeParser"
    if now is None:
        stamps = [c.dtstamp for c in getattr(message, "components", ()) if c.dtstamp]
        now = max([T0, *stamps])
    return service.ingest(
        parser.register(message), now=now, envelope_to=envelope_to, envelope_from=envelope_from
    )


def attendee(address: str, partstat: str = "NEEDS-ACTION") -> Attendee:
    """Return an invited attendee as organizers' clients write them."""
    return Attendee(address=address, partstat=partstat, role="REQ-PARTICIPANT", rsvp=True)


class DetailFields(TypedDict, total=False):
    """The keyword arguments of :func:`details`, for builders that pass them through."""

    summary: str | None
    start: str | None
    end: str | None
    location: str | None
    description: str | None
    rrule: str | None
    status: str | None
    attendees: tuple[Attendee, ...] | None
    timezone: str | None


def details(
    *,
    summary: str | None = "Weekly sync",
    start: str | None = START,
    end: str | None = END,
    location: str | None = None,
    description: str | None = None,
    rrule: str | None = None,
    status: str | None = None,
    attendees: tuple[Attendee, ...] | None = None,
    timezone: str | None = None,
) -> EventDetails:
    """Return what one VEVENT says, with a plausible meeting as the default."""
    return EventDetails(
        summary=summary,
        description=description,
        location=location,
        start=start,
        end=end,
        timezone=timezone,
        rrule=rrule,
        status=status,
        attendees=attendees if attendees is not None else (attendee(BOB), attendee(CAROL)),
    )


def component(
    *,
    sequence: int = 0,
    dtstamp: datetime | None = T0,
    recurrence_id: str | None = None,
    **fields: Unpack[DetailFields],
) -> Component:
    """Return one VEVENT; ``fields`` go to :func:`details`."""
    return Component(
        sequence=sequence,
        dtstamp=dtstamp,
        recurrence_id=recurrence_id,
        details=details(**fields),
    )


def organizer_message(
    method: Method,
    *components: Component,
    uid: str = UID,
    organizer: str | None = ORGANIZER,
    sender: str | None = ORGANIZER,
    sent_by: str | None = None,
    organizer_name: str | None = "Alice",
) -> ItipMessage:
    """Return an organizer's message (REQUEST, CANCEL, PUBLISH...) with these VEVENTs."""
    return ItipMessage(
        method=method,
        uid=uid,
        components=components,
        organizer=organizer,
        organizer_name=organizer_name,
        sent_by=sent_by,
        sender=sender,
        prodid="-//Tests//Fake//EN",
    )


def request(
    *,
    sequence: int = 0,
    dtstamp: datetime | None = T0,
    recurrence_id: str | None = None,
    uid: str = UID,
    organizer: str | None = ORGANIZER,
    sender: str | None = ORGANIZER,
    sent_by: str | None = None,
    **fields: Unpack[DetailFields],
) -> ItipMessage:
    """Return a one-VEVENT REQUEST; ``fields`` go to :func:`details`."""
    return organizer_message(
        Method.REQUEST,
        component(sequence=sequence, dtstamp=dtstamp, recurrence_id=recurrence_id, **fields),
        uid=uid,
        organizer=organizer,
        sender=sender,
        sent_by=sent_by,
    )


def cancel(
    *,
    sequence: int = 1,
    dtstamp: datetime | None = None,
    recurrence_id: str | None = None,
    uid: str = UID,
    organizer: str | None = ORGANIZER,
    sender: str | None = ORGANIZER,
    **fields: Unpack[DetailFields],
) -> ItipMessage:
    """Return a one-VEVENT CANCEL carrying the meeting's details, as most clients send it."""
    fields.setdefault("status", "CANCELLED")
    return organizer_message(
        Method.CANCEL,
        component(
            sequence=sequence,
            dtstamp=dtstamp or at(60),
            recurrence_id=recurrence_id,
            **fields,
        ),
        uid=uid,
        organizer=organizer,
        sender=sender,
    )


def reply(
    address: str,
    partstat: str = "ACCEPTED",
    *,
    sequence: int = 0,
    dtstamp: datetime | None = None,
    recurrence_id: str | None = None,
    uid: str = UID,
    organizer: str | None = ORGANIZER,
    sender: str | None = None,
    delegated_to: tuple[str, ...] = (),
    delegated_from: tuple[str, ...] = (),
    also: tuple[Attendee, ...] = (),
    comment: str | None = None,
) -> ItipMessage:
    """Return an attendee's REPLY, sent by that attendee unless ``sender`` says otherwise.

    ``also`` lists further attendees the reply names (some clients echo the whole roster).
    """
    answer = Attendee(
        address=address,
        partstat=partstat,
        delegated_to=delegated_to,
        delegated_from=delegated_from,
    )
    return ItipMessage(
        method=Method.REPLY,
        uid=uid,
        components=(
            Component(
                sequence=sequence,
                dtstamp=dtstamp or at(30),
                recurrence_id=recurrence_id,
                details=EventDetails(summary="Weekly sync", attendees=(answer, *also)),
            ),
        ),
        organizer=organizer,
        sender=sender or address,
        prodid="-//Tests//Attendee//EN",
        comment=comment,
    )


def counter(
    address: str,
    *,
    start: str = "2025-03-10T15:00:00+00:00",
    end: str = "2025-03-10T16:00:00+00:00",
    dtstamp: datetime | None = None,
    uid: str = UID,
    organizer: str | None = ORGANIZER,
    comment: str | None = "Could we meet in the afternoon?",
) -> ItipMessage:
    """Return an attendee's COUNTER proposing another time."""
    return ItipMessage(
        method=Method.COUNTER,
        uid=uid,
        components=(
            Component(
                sequence=0,
                dtstamp=dtstamp or at(45),
                details=details(start=start, end=end, attendees=(Attendee(address=address),)),
            ),
        ),
        organizer=organizer,
        sender=address,
        comment=comment,
    )
