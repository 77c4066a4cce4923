"""Whatever the invite and the recipients, every email reads back as the invite, for its reader.

Generated versions mix any Unicode text (emoji, right-to-left, control characters), long
descriptions, all-day, floating and zoned times, recurrence with overrides and cancelled
instances, REQUEST and CANCEL, and 1-50 recipients with Unicode names, some holding a web
RSVP link token. Each email must parse back (email package, icalendar) to the same invite and
the one recipient, and must say what a naive build of that one email says, links included
(tests/render_reference.py).

Generated text never contains "=?": the naive build hands text to the email package's header
registry, which decodes encoded-word look-alikes (test_render_rules covers the renderer there).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from icalendar.cal.component import Component
from icalendar.prop import vRecur

from adapters.outbound import IcalendarInviteRenderer
from adapters.outbound.bodies import subject_of
from adapters.outbound.text import calendar_text, one_line
from application.ports import OutgoingMail
from domain.outbound import Addressee, OutboundInstance, OutboundInvite, message_id, server_uid
from domain.values import EventDetails, Method
from tests.render_reference import calendar_part, display_name, parse, reference_mail, semantics

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RENDERER = IcalendarInviteRenderer()
WEB = "https://invites.example.com/a&b'c"  # characters a URL may hold and HTML must escape
LINKED = IcalendarInviteRenderer(web_base_url=WEB)
TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
DOMAIN = "cis.example"
SENDER = "invites@cis.example"
NOW = datetime(2025, 3, 1, 9, 0, 7, tzinfo=UTC)
IANA = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC")
RRULES = (None, "FREQ=WEEKLY;BYDAY=MO", "FREQ=DAILY;COUNT=10", "FREQ=MONTHLY;INTERVAL=2")
NASTY = ("Evil\r\nBcc: x@example.net", "مرحبا بالعالم", "😀" * 40, "<script>x</script>", " ")

text = st.one_of(st.text(max_size=60), st.sampled_from(NASTY)).filter(lambda t: "=?" not in t)
long_text = st.text(max_size=1200).filter(lambda t: "=?" not in t)


class Clock:
    """One way of writing times: all-day, floating, an IANA zone, or a bare UTC offset."""

    def __init__(self, kind: str, zone: str | None, offset: timedelta) -> None:
        self.kind, self.zone, self.offset = kind, zone, offset

    def tzinfo(self) -> Any:
        """Return the zone wall times are in (None when floating)."""
        if self.kind == "iana":
            return ZoneInfo(str(self.zone))
        return timezone(self.offset) if self.kind == "offset" else None

    def local(self, wall: datetime) -> str:
        """Return the ISO text EventDetails holds for a wall-clock time."""
        if self.kind == "all-day":
            return wall.date().isoformat()
        return wall.replace(tzinfo=self.tzinfo()).isoformat()

    def instant(self, wall: datetime) -> str:
        """Return the instant text RECURRENCE-IDs, RDATEs and EXDATEs are kept as."""
        if self.kind == "all-day":
            return wall.date().isoformat()
        value = wall.replace(tzinfo=self.tzinfo())
        return value.isoformat() if value.tzinfo is None else value.astimezone(UTC).isoformat()

    def timezone_name(self) -> str | None:
        """Return EventDetails.timezone: the IANA name, or the TZID as written, or None."""
        return self.zone


clocks = st.one_of(
    st.just(Clock("all-day", None, timedelta())),
    st.just(Clock("floating", None, timedelta())),
    st.builds(Clock, st.just("iana"), st.sampled_from(IANA), st.just(timedelta())),
    st.builds(
        Clock,
        st.just("offset"),
        st.just("Customized Time Zone"),
        st.integers(-12 * 4, 14 * 4).map(lambda q: timedelta(minutes=15 * q)),
    ),
)


def _details(
    draw: st.DrawFn, clock: Clock, wall: datetime, *, rrule: str | None = None
) -> EventDetails:
    # Hours stay clear of DST changes: a wall time that happens twice is ambiguous in iCalendar.
    length = (
        timedelta(days=draw(st.integers(1, 3)))
        if clock.kind == "all-day"
        else timedelta(minutes=draw(st.integers(15, 300)))
    )
    return EventDetails(
        summary=draw(st.none() | text),
        description=draw(st.none() | long_text),
        location=draw(st.none() | text),
        start=clock.local(wall),
        end=clock.local(wall + length),
        timezone=clock.timezone_name(),
        all_day=clock.kind == "all-day",
        rrule=rrule,
        status=draw(st.sampled_from([None, "CONFIRMED", "TENTATIVE"])),
    )


@st.composite
def versions(draw: st.DrawFn) -> OutboundInvite:
    """Return one version of an invite, as the server would send it."""
    clock = draw(clocks)
    day = draw(st.dates(date(2000, 1, 1), date(2036, 12, 31)))
    first = datetime(
        day.year, day.month, day.day, draw(st.integers(8, 18)), draw(st.integers(0, 59))
    )
    weeks = draw(st.lists(st.integers(1, 30), max_size=5, unique=True))
    overridden, excluded = weeks[:3], weeks[3:]
    instances = tuple(
        OutboundInstance(
            clock.instant(first + timedelta(weeks=k)),
            _details(draw, clock, first + timedelta(weeks=k, hours=draw(st.integers(-3, 3))))
            if draw(st.booleans())
            else EventDetails(),
            cancelled=draw(st.booleans()),
        )
        for k in overridden
    )
    master = _details(draw, clock, first, rrule=draw(st.sampled_from(RRULES)))
    master = EventDetails(
        **{
            **master.__dict__,
            "exdates": tuple(clock.instant(first + timedelta(weeks=k)) for k in excluded),
            "rdates": (clock.instant(first + timedelta(days=3)),) if draw(st.booleans()) else (),
        }
    )
    method = draw(st.sampled_from([Method.REQUEST, Method.CANCEL]))
    cancelled = None
    if method == Method.CANCEL and draw(st.booleans()):
        rids = [i.recurrence_id for i in instances] + [clock.instant(first + timedelta(weeks=40))]
        cancelled = draw(st.sampled_from(rids))
    invite = UUID(int=draw(st.integers(0, 2**128 - 1)))
    return OutboundInvite(
        invite=invite,
        uid=server_uid(invite, DOMAIN),
        method=method,
        sequence=draw(st.integers(0, 5)),
        organizer_name=draw(st.none() | text),
        details=None if instances and draw(st.integers(0, 9)) == 0 else master,
        instances=instances,
        cancelled_instance=cancelled,
    )


@st.composite
def audiences(draw: st.DrawFn, invite: OutboundInvite) -> list[Addressee]:
    """Return 1-50 recipients with distinct addresses, any names, some with a link token."""
    local = st.from_regex(r"[a-z0-9]{1,12}(\+[a-z0-9]{1,5})?", fullmatch=True)
    locals_ = draw(st.lists(local, min_size=1, max_size=50, unique=True))
    token = st.none() | st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=80)
    return [
        Addressee(
            f"{local}@example.com",
            draw(st.none() | text),
            f"reply+{n}@{DOMAIN}",
            message_id(invite.invite, f"{local}@example.com", invite.sequence, DOMAIN),
            rsvp_token=draw(token),
        )
        for n, local in enumerate(locals_)
    ]


# -- reading an email back -------------------------------------------------------------------


def instant(value: object) -> object:
    """Return a date, a floating date-time, or an aware date-time in UTC: comparable values."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if "T" not in value else datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def values(component: Component, name: str) -> list[Any]:
    """Return every value of a possibly repeated property."""
    found = component.get(name)
    return [] if found is None else found if isinstance(found, list) else [found]


def when(component: Component, name: str) -> object:
    """Return a date-time property as a comparable instant, or None."""
    found = values(component, name)
    return instant(found[0].dt) if found else None


def expected_events(invite: OutboundInvite) -> dict[object, tuple[EventDetails, bool]]:
    """Return, by RECURRENCE-ID instant (None: master), what each VEVENT must say."""
    cancel = invite.method == Method.CANCEL
    own = {i.recurrence_id: i for i in invite.instances}
    if cancel and invite.cancelled_instance is not None:
        found = own.get(invite.cancelled_instance)
        details = found.details if found else EventDetails()
        return {instant(invite.cancelled_instance): (details, True)}
    expected: dict[object, tuple[EventDetails, bool]] = {}
    if invite.details is not None:
        expected[None] = (invite.details, cancel)
    if not cancel or invite.details is None:
        for i in invite.instances:
            expected[instant(i.recurrence_id)] = (i.details, cancel or i.cancelled)
    return expected


def assert_says(event: Component, name: str, wanted: str | None) -> None:
    """Assert a TEXT property carries ``wanted`` as RFC 5545 can (absent when empty)."""
    got = event.get(name)
    assert (None if got is None else str(got)) == (calendar_text(wanted) or None), name


def assert_event(
    event: Component, invite: OutboundInvite, details: EventDetails, cancelled: bool
) -> None:
    """Assert one VEVENT says what the version says about it."""
    bare = not details.start
    master = invite.details or EventDetails()
    for name, field in (("SUMMARY", "summary"), ("DESCRIPTION", "description")):
        mine = getattr(details, field)
        assert_says(event, name, mine if not bare else (mine or getattr(master, field)))
    assert ("CANCELLED" if cancelled else details.status) == event.get("STATUS")
    if not bare:
        assert when(event, "DTSTART") == instant(details.start)
        assert when(event, "DTEND") == instant(details.end)
    elif event.get("RECURRENCE-ID") is not None:
        assert when(event, "DTSTART") == when(event, "RECURRENCE-ID")
    if event.get("RECURRENCE-ID") is None:
        assert_says(event, "LOCATION", details.location)
        rrule = values(event, "RRULE")
        wanted = [vRecur.from_ical(details.rrule).to_ical()] if details.rrule else []
        assert [r.to_ical() for r in rrule] == wanted
        exdates = {instant(d.dt) for p in values(event, "EXDATE") for d in p.dts}
        assert exdates == {instant(x) for x in details.exdates}
        rdates = {instant(d.dt) for p in values(event, "RDATE") for d in p.dts}
        assert rdates == {instant(x) for x in details.rdates}


def assert_carries(mail: OutgoingMail, invite: OutboundInvite, person: Addressee) -> None:
    """Assert one email reads back as the version, addressed to ``person`` alone."""
    message = parse(mail.data)
    assert (mail.recipient, mail.sender, mail.message_id) == (
        person.address,
        SENDER,
        person.message_id,
    )
    assert message["To"].addresses[0].addr_spec == person.address
    assert display_name(mail.data) == (one_line(person.name) or "")
    assert message["Reply-To"].addresses[0].addr_spec == person.reply_address
    assert message["Message-ID"] == person.message_id
    assert message["Subject"] == subject_of(invite)
    assert message["Bcc"] is None
    parts = {p.get_content_type(): p for p in message.walk()}
    data = calendar_part(mail.data)
    assert parts["application/ics"].get_payload(decode=True) == data
    assert parts["text/calendar"].get_param("method") == invite.method.value
    assert max(len(line) for line in data.split(b"\r\n")) <= 75
    assert data.count(b"\n") == data.count(b"\r\n")
    calendar = Calendar.from_ical(data)
    assert calendar["METHOD"] == invite.method.value
    assert calendar.get_missing_tzids() == set()
    expected = expected_events(invite)
    events = {when(e, "RECURRENCE-ID"): e for e in calendar.events}
    assert set(events) == set(expected)
    assert len(calendar.events) == len(expected)
    for key, event in events.items():
        assert str(event["UID"]) == invite.uid
        assert event["SEQUENCE"] == invite.sequence
        assert when(event, "DTSTAMP") == NOW
        (organizer,) = values(event, "ORGANIZER")
        assert str(organizer) == f"mailto:{person.reply_address}"
        assert organizer.params.get("CN") == one_line(invite.organizer_name)
        (attendee,) = values(event, "ATTENDEE")
        assert str(attendee) == f"mailto:{person.address}"
        assert attendee.params.get("CN") == one_line(person.name)
        assert (attendee.params["RSVP"], attendee.params["PARTSTAT"]) == ("TRUE", "NEEDS-ACTION")
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert_event(event, invite, *expected[key])


@PROPERTY
@given(st.data())
def test_every_email_reads_back_as_the_invite_for_its_one_recipient(data: st.DataObject) -> None:
    invite = data.draw(versions())
    people = data.draw(audiences(invite))
    mails = list(RENDERER.render(invite, people, sender=SENDER, now=NOW))
    assert len(mails) == len(people)
    for mail, person in zip(mails, people, strict=True):
        assert_carries(mail, invite, person)


@PROPERTY
@given(st.data())
def test_every_email_says_what_a_naive_build_for_that_recipient_says(data: st.DataObject) -> None:
    invite = data.draw(versions())
    people = data.draw(audiences(invite))
    for renderer, web in ((RENDERER, None), (LINKED, WEB)):
        mails = renderer.render(invite, people, sender=SENDER, now=NOW)
        for mail, person in zip(mails, people, strict=True):
            reference = reference_mail(invite, person, sender=SENDER, now=NOW, web_base_url=web)
            assert semantics(mail.data) == semantics(reference)


@PROPERTY
@given(st.data())
def test_rendering_many_at_once_equals_rendering_each_alone(data: st.DataObject) -> None:
    invite = data.draw(versions())
    people = data.draw(audiences(invite))
    together = [m.data for m in LINKED.render(invite, people, sender=SENDER, now=NOW)]
    alone = [next(LINKED.render(invite, [p], sender=SENDER, now=NOW)).data for p in people]
    assert together == alone
