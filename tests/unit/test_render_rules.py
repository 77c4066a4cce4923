"""Rendered invites follow the outbound rules, read back as a mail client would.

The rules: docs/architecture.md, Outbound mail.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from icalendar import Calendar
from icalendar.cal.component import Component
from jinja2 import UndefinedError

from adapters.outbound import IcalendarInviteRenderer
from application.ports import OutgoingMail
from domain.outbound import (
    Addressee,
    OutboundInstance,
    OutboundInvite,
    for_newcomer,
    message_id,
    server_uid,
)
from domain.reply_tokens import reply_token
from domain.values import EventDetails, Method
from domain.web_links import LinkClaim, link_expiry, sign_link
from tests.render_reference import (
    calendar_part,
    display_name,
    parse,
    reference_mail,
    semantics,
)

DOMAIN = "cis.example"
SENDER = "invites@cis.example"
INVITE = UUID("0b5f3d5e-8f4f-4a43-9a57-3c1d8f0c2a11")
NOW = datetime(2025, 3, 1, 9, 0, 12, 345678, tzinfo=UTC)
RENDERER = IcalendarInviteRenderer()
WEEKLY = EventDetails(
    summary="Weekly sync",
    description="Agenda:\n1. numbers\n2. plans",
    location="Room 4",
    start="2025-03-10T10:00:00+01:00",
    end="2025-03-10T11:00:00+01:00",
    timezone="Europe/Berlin",
    rrule="FREQ=WEEKLY;BYDAY=MO",
    exdates=("2025-03-17T09:00:00+00:00",),
)
MOVED = OutboundInstance(
    "2025-03-24T09:00:00+00:00",
    EventDetails(
        summary="Weekly sync (moved)",
        start="2025-03-24T09:00:00-04:00",
        end="2025-03-24T10:00:00-04:00",
        timezone="America/New_York",
    ),
)
WHEN = "Monday 10 March 2025, 10:00 \N{EN DASH} 11:00 (Europe/Berlin)"
# What the Subject says after the title: the series' start, in its zone.
SUBJECT_WHEN = " \N{EM DASH} weekly from Mon 10 Mar 2025 10:00 (Europe/Berlin)"
DROPPED = OutboundInstance("2025-03-31T08:00:00+00:00", EventDetails(), cancelled=True)


def invite(**changes: object) -> OutboundInvite:
    """Return a weekly Berlin meeting, version 0, changed as asked."""
    base = OutboundInvite(
        invite=INVITE,
        uid=server_uid(INVITE, DOMAIN),
        method=Method.REQUEST,
        sequence=0,
        organizer_name="Alice Example",
        details=WEEKLY,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def addressee(address: str = "bob@example.com", name: str | None = "Bob") -> Addressee:
    """Return a recipient with a reply address and Message-ID of their own."""
    local = address.split("@")[0]
    return Addressee(
        address, name, f"reply+{local}@{DOMAIN}", message_id(INVITE, address, 0, DOMAIN)
    )


def render(version: OutboundInvite, *people: Addressee, **options: object) -> list[OutgoingMail]:
    """Return every email of one render call."""
    renderer = options.get("renderer", RENDERER)
    assert isinstance(renderer, IcalendarInviteRenderer)
    return list(renderer.render(version, people or (addressee(),), sender=SENDER, now=NOW))


def calendar(mail: OutgoingMail) -> Calendar:
    """Return the parsed text/calendar part."""
    return Calendar.from_ical(calendar_part(mail.data))


def one(version: OutboundInvite, person: Addressee | None = None) -> OutgoingMail:
    """Return the only email of a render for one addressee."""
    (mail,) = render(version, person or addressee())
    return mail


def prop(component: Component, name: str) -> Any:
    """Return a property of a parsed component, untyped (icalendar's union types get in the way)."""
    return component[name]


def moment(component: Component, name: str = "DTSTART") -> Any:
    """Return the date or date-time of a property."""
    return prop(component, name).dt


def body(mail: OutgoingMail, kind: str) -> str:
    """Return the decoded plain or html body."""
    part = parse(mail.data).get_body((kind,))
    assert part is not None
    return str(part.get_content())


def raw_headers(mail: OutgoingMail) -> list[bytes]:
    """Return the top-level header lines as sent (folded lines stay separate)."""
    return mail.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def test_sends_one_email_per_addressee_with_their_own_headers() -> None:
    people = [addressee(f"p{i}@example.com", f"Person {i}") for i in range(3)]
    mails = render(invite(), *people)
    assert [m.recipient for m in mails] == [p.address for p in people]
    for mail, person in zip(mails, people, strict=True):
        message = parse(mail.data)
        assert mail.sender == SENDER
        assert mail.message_id == person.message_id == message["Message-ID"]
        assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [
            (person.name, person.address)
        ]
        assert message["Reply-To"].addresses[0].addr_spec == person.reply_address
        assert message["From"].addresses[0].addr_spec == SENDER
        assert message["Date"].datetime == NOW.replace(microsecond=0)
        assert message["MIME-Version"] == "1.0"


def test_keeps_headers_minimal() -> None:
    names = sorted(k.lower() for k in parse(one(invite()).data))
    assert names == sorted(
        ["from", "to", "reply-to", "subject", "date", "message-id", "mime-version", "content-type"]
    )


def test_nests_alternative_bodies_and_calendar_under_mixed_with_an_attachment() -> None:
    message = parse(one(invite()).data)
    tree = [
        (p.get_content_type(), p.get_content_charset(), p.get_param("method"))
        for p in message.walk()
    ]
    assert tree == [
        ("multipart/mixed", None, None),
        ("multipart/alternative", None, None),
        ("text/plain", "utf-8", None),
        ("text/html", "utf-8", None),
        ("text/calendar", "utf-8", "REQUEST"),
        ("application/ics", None, None),
    ]
    attachment = list(message.walk())[-1]
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_param("name") == "invite.ics"
    inline = list(message.walk())[-2]
    assert attachment.get_payload(decode=True) == inline.get_payload(decode=True)


@pytest.mark.parametrize("method", [Method.REQUEST, Method.CANCEL])
def test_says_the_same_upper_case_method_in_body_and_header(method: Method) -> None:
    mail = one(invite(method=method, sequence=1))
    part = next(p for p in parse(mail.data).walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == method.value == str(calendar(mail)["METHOD"])
    assert f"method={method.value}".encode() in mail.data


def test_refuses_methods_the_server_never_sends() -> None:
    with pytest.raises(ValueError, match="PUBLISH"):
        render(invite(method=Method.PUBLISH))


def test_stamps_every_vevent_with_the_server_uid_sequence_and_now() -> None:
    cal = calendar(one(invite(sequence=4, instances=(MOVED, DROPPED))))
    assert len(cal.events) == 3
    for event in cal.events:
        assert str(event["UID"]) == f"{INVITE}@{DOMAIN}"
        assert event["SEQUENCE"] == 4
        assert moment(event, "DTSTAMP") == NOW.replace(microsecond=0)
    assert b"DTSTAMP:20250301T090012Z" in calendar_part(one(invite()).data)
    assert str(cal["PRODID"]) == "-//Calendar Invite Server//EN"
    assert (cal["VERSION"], cal["CALSCALE"]) == ("2.0", "GREGORIAN")


def test_makes_the_addressee_the_only_attendee_asked_to_answer() -> None:
    for event in calendar(one(invite(instances=(MOVED,)), addressee(name="Bob B"))).events:
        attendees = prop(event, "ATTENDEE")
        assert not isinstance(attendees, list)
        assert str(attendees) == "mailto:bob@example.com"
        assert dict(attendees.params) == {
            "CN": "Bob B",
            "RSVP": "TRUE",
            "PARTSTAT": "NEEDS-ACTION",
            "ROLE": "REQ-PARTICIPANT",
            "CUTYPE": "INDIVIDUAL",
        }


def test_leaves_out_the_common_name_of_a_nameless_addressee() -> None:
    attendee = prop(calendar(one(invite(), addressee(name=None))).events[0], "ATTENDEE")
    assert "CN" not in attendee.params
    assert parse(one(invite(), addressee(name=None)).data)["To"] == "bob@example.com"


@pytest.mark.parametrize(
    "title", ["0000 00¡¡¡¡¡¡¡𐀀𐀀𐀀 ¡", "Überraschung 🎉 " * 20, "a" * 300, "plain words " * 20]
)
def test_encodes_subjects_that_read_back_exactly(title: str) -> None:
    mail = one(invite(details=replace(WEEKLY, summary=title)))
    assert parse(mail.data)["Subject"] == f"Invitation: {title.strip()}{SUBJECT_WHEN}"
    subject = [line for line in raw_headers(mail) if line.startswith((b"Subject:", b" "))]
    assert max(len(line) for line in subject) <= 78


@pytest.mark.parametrize("name", ["\\", "Backslash at the end \\", 'Quote " and caret ^ and ;:,'])
def test_writes_common_names_that_read_back_unchanged(name: str) -> None:
    event = calendar(one(invite(organizer_name=name), addressee(name=name))).events[0]
    assert prop(event, "ATTENDEE").params["CN"] == name
    assert str(prop(event, "ATTENDEE")) == "mailto:bob@example.com"
    assert prop(event, "ORGANIZER").params["CN"] == name
    assert str(prop(event, "ORGANIZER")) == f"mailto:reply+bob@{DOMAIN}"


def test_names_the_servers_reply_address_as_organizer() -> None:
    for event in calendar(one(invite(instances=(MOVED,)))).events:
        assert str(event["ORGANIZER"]) == f"mailto:reply+bob@{DOMAIN}"
        assert prop(event, "ORGANIZER").params["CN"] == "Alice Example"


def test_defines_a_vtimezone_for_every_tzid() -> None:
    cal = calendar(one(invite(instances=(MOVED,))))
    assert cal.get_used_tzids() == {"Europe/Berlin", "America/New_York"}
    assert {tz.tz_name for tz in cal.timezones} == {"Europe/Berlin", "America/New_York"}
    assert cal.get_missing_tzids() == set()
    start = moment(cal.events[0])
    assert (start.replace(tzinfo=None), str(start.tzinfo)) == (
        datetime(2025, 3, 10, 10),
        "Europe/Berlin",
    )
    assert prop(cal.events[0], "DTSTART").params["TZID"] == "Europe/Berlin"


def test_writes_all_day_events_as_dates() -> None:
    details = EventDetails(summary="Offsite", start="2025-06-02", end="2025-06-04", all_day=True)
    mail = one(invite(details=details))
    event = calendar(mail).events[0]
    assert (moment(event), moment(event, "DTEND")) == (date(2025, 6, 2), date(2025, 6, 4))
    assert not isinstance(moment(event), datetime)
    assert b"DTSTART;VALUE=DATE:20250602" in calendar_part(mail.data)
    assert calendar(mail).timezones == []
    assert "Monday 2 June 2025 \N{EN DASH} Tuesday 3 June 2025 (all day)" in body(mail, "plain")
    assert parse(mail.data)["Subject"] == "Invitation: Offsite \N{EM DASH} Mon 2 Jun 2025"


@pytest.mark.parametrize(
    ("zone", "line"),
    [
        (None, b"DTSTART:20250310T100000\r\n"),  # floating: no offset known, none invented
        ("UTC", b"DTSTART:20250310T090000Z\r\n"),
        ("W. Europe Standard Time, as written", b"DTSTART:20250310T090000Z\r\n"),
    ],
)
def test_writes_zones_that_are_not_iana_names_in_utc(zone: str | None, line: bytes) -> None:
    start = "2025-03-10T10:00:00" if zone is None else "2025-03-10T10:00:00+01:00"
    details = EventDetails(summary="x", start=start, timezone=zone)
    mail = one(invite(details=details))
    assert line in calendar_part(mail.data)
    assert calendar(mail).timezones == []


def test_carries_recurrence_overrides_and_cancelled_instances() -> None:
    details = replace(WEEKLY, rdates=("2025-04-02T08:00:00+00:00",))
    cal = calendar(one(invite(details=details, instances=(MOVED, DROPPED))))
    master, moved, dropped = cal.events
    assert master.get("RECURRENCE-ID") is None
    assert prop(master, "RRULE").to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    (exdate,) = prop(master, "EXDATE").dts
    assert prop(master, "EXDATE").params["TZID"] == "Europe/Berlin"
    assert exdate.dt.astimezone(UTC) == datetime(2025, 3, 17, 9, tzinfo=UTC)
    assert prop(master, "RDATE").dts[0].dt.astimezone(UTC) == datetime(2025, 4, 2, 8, tzinfo=UTC)
    # A RECURRENCE-ID is written like the master's DTSTART: Berlin time.
    assert prop(moved, "RECURRENCE-ID").params["TZID"] == "Europe/Berlin"
    assert moment(moved, "RECURRENCE-ID").astimezone(UTC) == datetime(2025, 3, 24, 9, tzinfo=UTC)
    assert str(moved["SUMMARY"]) == "Weekly sync (moved)"
    assert moment(moved).astimezone(UTC) == datetime(2025, 3, 24, 13, tzinfo=UTC)
    assert moved.get("STATUS") is None
    assert dropped["STATUS"] == "CANCELLED"
    assert moment(dropped).astimezone(UTC) == datetime(2025, 3, 31, 8, tzinfo=UTC)
    assert moment(dropped, "DTEND") - moment(dropped) == timedelta(hours=1)
    assert str(dropped["SUMMARY"]) == "Weekly sync"


def test_newcomers_get_cancelled_instances_as_exdates_in_the_start_s_form() -> None:
    cal = calendar(one(for_newcomer(invite(instances=(MOVED, DROPPED)))))
    master, moved = cal.events  # no VEVENT for the dropped instance
    assert moved.get("RECURRENCE-ID") is not None
    exdates = prop(master, "EXDATE")
    assert [e.params["TZID"] for e in exdates] == ["Europe/Berlin", "Europe/Berlin"]
    assert [e.dts[0].dt.astimezone(UTC) for e in exdates] == [
        datetime(2025, 3, 17, 9, tzinfo=UTC),
        datetime(2025, 3, 31, 8, tzinfo=UTC),
    ]


def test_newcomers_get_all_day_exdates_as_dates() -> None:
    daily = EventDetails(summary="Day off", start="2025-03-10", end="2025-03-11", all_day=True)
    dropped = OutboundInstance("2025-03-12", EventDetails(), cancelled=True)
    version = for_newcomer(invite(details=replace(daily, rrule="FREQ=DAILY"), instances=(dropped,)))
    (event,) = calendar(one(version)).events
    assert [d.dt for d in prop(event, "EXDATE").dts] == [date(2025, 3, 12)]


def test_cancels_the_whole_series_with_its_master() -> None:
    mail = one(invite(method=Method.CANCEL, sequence=3, instances=(MOVED,)))
    cal = calendar(mail)
    assert cal["METHOD"] == "CANCEL"
    (event,) = cal.events
    assert event["STATUS"] == "CANCELLED"
    assert event.get("RECURRENCE-ID") is None
    assert prop(event, "RRULE").to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    assert event["SEQUENCE"] == 3
    assert parse(mail.data)["Subject"] == f"Cancelled: Weekly sync{SUBJECT_WHEN}"


def test_cancels_one_instance_with_only_its_vevent() -> None:
    version = invite(
        method=Method.CANCEL, sequence=2, cancelled_instance="2025-04-07T08:00:00+00:00"
    )
    mail = one(version)
    (event,) = calendar(mail).events
    assert event["STATUS"] == "CANCELLED"
    occurrence = moment(event, "RECURRENCE-ID")
    assert occurrence.astimezone(UTC) == datetime(2025, 4, 7, 8, tzinfo=UTC)
    assert moment(event) == occurrence
    assert moment(event, "DTEND") - occurrence == timedelta(hours=1)
    assert str(event["SUMMARY"]) == "Weekly sync"
    assert event.get("RRULE") is None
    assert "Cancelled occurrence: Monday 7 April 2025, 10:00" in body(mail, "plain")
    # The Subject names the occurrence withdrawn, not the series' start.
    assert parse(mail.data)["Subject"] == (
        "Cancelled: Weekly sync \N{EM DASH} Mon 7 Apr 2025 10:00 (Europe/Berlin)"
    )


def test_cancels_an_overridden_instance_as_it_was_moved() -> None:
    version = invite(
        method=Method.CANCEL, sequence=2, instances=(MOVED,), cancelled_instance=MOVED.recurrence_id
    )
    (event,) = calendar(one(version)).events
    assert str(event["SUMMARY"]) == "Weekly sync (moved)"
    assert moment(event).astimezone(UTC) == datetime(2025, 3, 24, 13, tzinfo=UTC)


def test_sends_instances_alone_when_there_is_no_master() -> None:
    mail = one(invite(details=None, instances=(MOVED,)))
    (event,) = calendar(mail).events
    assert prop(event, "RECURRENCE-ID").params["TZID"] == "America/New_York"
    assert parse(mail.data)["Subject"] == (
        "Invitation: Weekly sync (moved) \N{EM DASH} Mon 24 Mar 2025 09:00 (America/New_York)"
    )
    with pytest.raises(ValueError, match="nothing to send"):
        render(invite(details=None))


@pytest.mark.parametrize(
    ("changes", "subject"),
    [
        ({}, f"Invitation: Weekly sync{SUBJECT_WHEN}"),
        ({"sequence": 1}, f"Updated: Weekly sync{SUBJECT_WHEN}"),
        ({"method": Method.CANCEL, "sequence": 1}, f"Cancelled: Weekly sync{SUBJECT_WHEN}"),
        (
            {"details": EventDetails(start="2025-06-02")},
            "Invitation: Untitled event \N{EM DASH} Mon 2 Jun 2025",
        ),
        ({"details": EventDetails(summary="No time")}, "Invitation: No time"),
        (
            {"details": EventDetails(summary="Call", start="2025-03-10T10:00:00")},
            "Invitation: Call \N{EM DASH} Mon 10 Mar 2025 10:00 (local time)",
        ),
    ],
)
def test_says_what_happened_in_the_subject(changes: dict[str, object], subject: str) -> None:
    assert parse(one(invite(**changes)).data)["Subject"] == subject


def test_folds_lines_at_75_octets_without_splitting_characters() -> None:
    long = "Überraschung 🎉 für alle — 東京で会いましょう " * 12
    details = replace(WEEKLY, summary=long, description=long * 3, location="Café " * 40)
    person = addressee(name="Zoë 😀 " * 30)
    data = calendar_part(one(invite(details=details, organizer_name="Ålice " * 30), person).data)
    assert data.count(b"\r\n") == data.count(b"\n")
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # a multi-byte character cut by a fold would not decode
    event = Calendar.from_ical(data).events[0]
    assert str(event["SUMMARY"]) == long
    assert str(event["DESCRIPTION"]) == long * 3
    assert prop(event, "ATTENDEE").params["CN"] == ("Zoë 😀 " * 30).strip()


def test_keeps_every_line_of_the_email_short_and_7_bit() -> None:
    details = replace(WEEKLY, summary="Überraschung 🎉 " * 40, description="x" * 5000)
    mail = one(invite(details=details), addressee(name="Zoë " * 40))
    assert mail.data.isascii()
    assert max(len(line) for line in mail.data.split(b"\r\n")) <= 78
    assert b"\n" not in mail.data.replace(b"\r\n", b"")


@pytest.mark.parametrize("name", ['Zoë "Z" O\'Brien, Jr.', "東京 😀 Zoë " * 12, "x" * 200])
def test_encodes_long_and_non_ascii_names_in_short_header_lines(name: str) -> None:
    mail = one(invite(), addressee(name=name))
    to = [line for line in raw_headers(mail) if line.startswith((b"To:", b" "))]
    assert max(len(line) for line in to) <= 78
    assert display_name(mail.data) == name.strip()
    assert parse(mail.data)["To"].addresses[0].addr_spec == "bob@example.com"


def test_writes_addresses_that_are_not_ascii_as_utf_8() -> None:
    # Such an address cannot be encoded in a header at all: the mail needs SMTPUTF8 (RFC 6532).
    mail = one(invite(), addressee("zoë@exämple.com", "Zoë"))
    assert "\r\nTo: =?utf-8?b?Wm/Dqw==?= <zoë@exämple.com>\r\n".encode() in mail.data
    assert str(prop(calendar(mail).events[0], "ATTENDEE")) == "mailto:zoë@exämple.com"


@pytest.mark.parametrize(
    "text", ["=?utf-8?q?=0D=0ABcc:_victim@example.net?=", "=?utf-8?b?DQpCY2M6IHhAeQ==?= x"]
)
def test_text_that_looks_like_an_encoded_word_stays_literal(text: str) -> None:
    # The email package's header registry decodes these into real line breaks (Python 3.11).
    mail = one(invite(details=replace(WEEKLY, summary=text)), addressee(name=text))
    message = parse(mail.data)
    assert message["Bcc"] is None
    assert not any(line.lower().startswith(b"bcc") for line in raw_headers(mail))
    assert display_name(mail.data) == text
    assert message["To"].addresses[0].addr_spec == "bob@example.com"
    assert message["Subject"] == f"Invitation: {text}{SUBJECT_WHEN}"


EVIL = "Evil\r\nBcc: victim@example.net\r\n\r\n--boundary\nX-Injected: 1\x00\u2028Y"


def test_user_text_never_adds_a_header() -> None:
    details = replace(WEEKLY, summary=EVIL, description=EVIL, location=EVIL)
    mail = one(invite(details=details, organizer_name=EVIL), addressee(name=EVIL))
    message = parse(mail.data)
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert sorted(k.lower() for k in message) == sorted(
        ["from", "to", "reply-to", "subject", "date", "message-id", "mime-version", "content-type"]
    )
    assert not any(line.lower().startswith((b"bcc", b"x-injected")) for line in raw_headers(mail))
    assert "Bcc: victim@example.net" in message["Subject"]
    assert "Bcc: victim@example.net" in display_name(mail.data)
    assert len(list(message.walk())) == 6
    event = calendar(mail).events[0]
    assert event.get("X-INJECTED") is None
    assert len(prop(event, "ATTENDEE").params) == 5
    assert "\nBcc: victim@example.net" in str(event["DESCRIPTION"])


@pytest.mark.parametrize(
    "address", ["bob@example.com\r\nBcc: x@y", "Bob <bob@example.com>", "bob", "a b@example.com"]
)
def test_refuses_addresses_that_are_not_plain(address: str) -> None:
    with pytest.raises(ValueError, match="address"):
        render(invite(), replace(addressee(), address=address))


def test_refuses_a_malformed_message_id() -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        render(invite(), replace(addressee(), message_id="<a@b>\r\nBcc: x@y"))


class _Nesting(HTMLParser):
    """Checks that every element is closed in order (void elements need no end tag)."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open.pop() == tag, f"</{tag}> closes another element"


def test_escapes_user_text_in_well_formed_html() -> None:
    script = "<script>alert('x')</script>"
    details = replace(WEEKLY, summary=script, description=script, location=script)
    mail = one(invite(details=details, organizer_name=script), addressee(name=script))
    html = body(mail, "html")
    assert "<script" not in html
    # The title in <title> and the heading, the location in the preview line and the details,
    # the description and the organizer.
    assert html.count("&lt;script&gt;") == 6
    checker = _Nesting()
    checker.feed(html)
    checker.close()
    assert checker.open == []
    assert "script" not in checker.seen
    assert html.startswith("<!DOCTYPE html>")
    assert script in body(mail, "plain")


def test_bodies_say_what_when_where_who_and_how_to_answer() -> None:
    mail = one(invite())
    for content in (body(mail, "plain"), body(mail, "html")):
        for words in ("Weekly sync", WHEN, "Room 4", "Alice Example", "2. plans", "Decline"):
            assert words in content


def test_the_html_body_is_plain_enough_for_mail_clients() -> None:
    person = with_link(addressee())
    for version in (invite(), invite(method=Method.CANCEL, sequence=1)):
        (mail,) = render(version, person, renderer=LINKED)
        html = body(mail, "html")
        assert "<script" not in html.lower()
        assert "<img" not in html.lower()
        assert not re.search(r"""(src|background)\s*=\s*["']?\s*https?:""", html, re.I)
        assert "@import" not in html
        assert "@font-face" not in html
        assert "url(" not in html
        assert '<meta name="color-scheme" content="light dark">' in html
        assert 'role="presentation"' in html
        # Styles are inline: a client that drops <style> keeps the look; the one <style> only
        # refines dark mode.
        assert html.count("<style>") == 1
        assert 'style="' in html


def test_the_html_body_escapes_a_hostile_title_and_says_the_zone() -> None:
    details = replace(WEEKLY, summary='<script>alert("x")</script> & "friends"')
    (mail,) = render(invite(details=details), with_link(addressee()), renderer=LINKED)
    html = body(mail, "html")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;friends&#34;" in html
    assert "(Europe/Berlin)" in html
    assert WHEN in html
    assert "every week on Monday" in html


def test_the_answer_buttons_are_links_before_the_description() -> None:
    person = with_link(addressee())
    (mail,) = render(invite(), person, renderer=LINKED)
    html = body(mail, "html")
    assert list(links_in_html(mail)) == ["Accept", "Maybe", "Decline"]
    assert html.index(">Decline</a>") < html.index("2. plans")
    assert "<form" not in html
    assert "<button" not in html


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=DAILY", "every day"),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;COUNT=10",
            "every 2 weeks on Monday, Wednesday and Friday, 10 times",
        ),
        ("FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"),
        (
            "FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=20251231T225959Z",
            "every month on day 15, until 31 December 2025",
        ),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", "every year in March on day 1"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", "repeats on a custom schedule"),
        ("FREQ=MINUTELY", "repeats on a custom schedule"),
    ],
)
def test_says_how_a_series_repeats_in_words(rule: str, words: str) -> None:
    mail = one(invite(details=replace(WEEKLY, rrule=rule)))
    for kind in ("plain", "html"):
        assert words in body(mail, kind)
    assert rule not in body(mail, "plain")


def test_the_subject_carries_the_date_on_one_header_line() -> None:
    details = replace(WEEKLY, summary="Plan\r\nBcc: x@example.net", timezone="Evil\r\nX: 1")
    for version in (invite(), invite(details=details), invite(sequence=2)):
        mail = one(version)
        subject = parse(mail.data)["Subject"]
        assert "Mon 10 Mar 2025" in subject
        assert "\n" not in subject
        assert "\r" not in subject
        headers = raw_headers(mail)
        start = next(i for i, line in enumerate(headers) if line.startswith(b"Subject:"))
        folded = [line for line in headers[start + 1 :] if line.startswith(b" ")]
        following = headers[start + 1 + len(folded)]
        assert following.split(b":")[0] in {b"Date", b"Message-ID", b"To", b"From", b"MIME-Version"}
        assert parse(mail.data)["X"] is None
        assert parse(mail.data)["Bcc"] is None


def test_an_operators_templates_replace_the_packaged_ones(tmp_path: Path) -> None:
    (tmp_path / "invite.txt.j2").write_text("Hello from ops: {{ title }} at {{ location }}\n")
    renderer = IcalendarInviteRenderer(templates=tmp_path)
    mail = render(invite(), renderer=renderer)[0]
    assert body(mail, "plain") == "Hello from ops: Weekly sync at Room 4\r\n"
    assert "Decline" in body(mail, "html")  # still the packaged HTML


def test_an_operators_html_template_is_autoescaped(tmp_path: Path) -> None:
    (tmp_path / "invite.html.j2").write_text("<p>{{ title }}</p>\n")
    renderer = IcalendarInviteRenderer(templates=tmp_path)
    details = replace(WEEKLY, summary="<b>bold</b>")
    mail = render(invite(details=details), renderer=renderer)[0]
    assert body(mail, "html") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>\r\n"


def test_a_template_naming_an_unknown_value_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "invite.txt.j2").write_text("{{ titel }}\n")
    with pytest.raises(UndefinedError):
        render(invite(), renderer=IcalendarInviteRenderer(templates=tmp_path))


def test_renders_the_same_bytes_for_the_same_version_and_time() -> None:
    people = [addressee(), addressee("carol@example.com", "Carol")]
    assert [m.data for m in render(invite(), *people)] == [
        m.data for m in render(invite(), *people)
    ]


def test_matches_a_naive_build_for_each_recipient() -> None:
    version = invite(sequence=2, instances=(MOVED, DROPPED))
    people = [addressee(), addressee("zoe@example.com", "Zoë 😀"), addressee("x@example.com", None)]
    for mail, person in zip(render(version, *people), people, strict=True):
        reference = reference_mail(version, person, sender=SENDER, now=NOW)
        assert semantics(mail.data) == semantics(reference)


def test_puts_the_recipients_lines_in_every_vevent_and_leaves_no_marker() -> None:
    data = calendar_part(one(invite(instances=(MOVED, DROPPED))).data)
    assert data.count(b"\r\nATTENDEE;") == data.count(b"\r\nBEGIN:VEVENT\r\n") == 3
    assert data.count(b"\r\nORGANIZER;") == 3
    assert b"X-CIS" not in data
    assert data.endswith(b"END:VEVENT\r\nEND:VCALENDAR\r\n")


# -- web RSVP links ---------------------------------------------------------------------------

SECRET = os.urandom(32)
WEB = "https://invites.example.com/cal"
LINKED = IcalendarInviteRenderer(web_base_url=WEB + "/")
LABELS = {"Accept": "accepted", "Maybe": "tentative", "Decline": "declined"}
TODAY_TEXT = (
    "Invitation: Weekly sync\r\n\r\nWhen: Monday 10 March 2025, 10:00 \N{EN DASH} 11:00 "
    "(Europe/Berlin)\r\nRepeats: every week on Monday\r\nWhere: Room 4\r\nOrganizer: Alice "
    "Example\r\n\r\nAgenda:\r\n1. numbers\r\n2. plans\r\n\r\nTo answer, use your calendar's "
    "Accept, Maybe or Decline buttons on this invitation.\r\n"
)


def with_link(person: Addressee, sequence: int = 0) -> Addressee:
    """Return ``person`` holding a signed web RSVP link token, as the sender issues them."""
    recipient = reply_token(SECRET, INVITE, person.address)
    claim = LinkClaim(INVITE, recipient, sequence, link_expiry(NOW, None))
    return replace(person, rsvp_token=sign_link(SECRET, claim))


def links_in_text(mail: OutgoingMail) -> dict[str, str]:
    """Return the "Label: URL" lines of the plain body whose label names an answer."""
    found = {}
    for line in body(mail, "plain").splitlines():
        label, _, url = line.partition(": ")
        if label in LABELS:
            found[label] = url
    return found


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links[data] = self._href
            self._href = None


def links_in_html(mail: OutgoingMail) -> dict[str, str]:
    """Return the HTML body's links by their text, as a browser reads the href (unescaped)."""
    anchors = _Anchors()
    anchors.feed(body(mail, "html"))
    anchors.close()
    return anchors.links


def expected_links(person: Addressee, web: str = WEB) -> dict[str, str]:
    """Return the URL of each answer's link for ``person``."""
    return {
        label: f"{web}/v1/rsvp/{person.rsvp_token}?answer={answer}"
        for label, answer in LABELS.items()
    }


def test_an_invitation_carries_a_link_per_answer_in_both_bodies() -> None:
    person = with_link(addressee())
    (mail,) = render(invite(), person, renderer=LINKED)
    assert links_in_text(mail) == links_in_html(mail) == expected_links(person)
    assert "answer on the web" in body(mail, "plain")


def test_links_are_html_escaped_in_the_html_body_only() -> None:
    web = "https://invites.example.com/a&b'c"
    person = with_link(addressee())
    (mail,) = render(invite(), person, renderer=IcalendarInviteRenderer(web_base_url=web))
    html = body(mail, "html")
    assert f'href="https://invites.example.com/a&amp;b&#39;c/v1/rsvp/{person.rsvp_token}' in html
    assert "a&b'c" not in html
    assert links_in_html(mail) == links_in_text(mail) == expected_links(person, web)


def test_links_leave_the_calendar_unchanged() -> None:
    person = addressee()
    (linked,) = render(invite(), with_link(person), renderer=LINKED)
    (plain,) = render(invite(), person)
    assert calendar_part(linked.data) == calendar_part(plain.data)
    assert b"/v1/rsvp/" not in calendar_part(linked.data)


def test_each_recipient_gets_their_own_links_and_a_tokenless_one_none() -> None:
    people = [with_link(addressee()), addressee("carol@example.com", "Carol")]
    people.append(with_link(addressee("dan@example.com", "Dan")))
    first, tokenless, last = render(invite(), *people, renderer=LINKED)
    assert links_in_text(first) == expected_links(people[0])
    assert links_in_text(last) == expected_links(people[2])
    assert people[0].rsvp_token != people[2].rsvp_token
    assert links_in_text(tokenless) == links_in_html(tokenless) == {}
    assert body(tokenless, "plain") == body(render(invite(), people[1])[0], "plain")


def test_a_cancellation_carries_no_links() -> None:
    (mail,) = render(invite(method=Method.CANCEL), with_link(addressee()), renderer=LINKED)
    assert links_in_text(mail) == links_in_html(mail) == {}
    assert b"/v1/rsvp/" not in mail.data


def test_without_a_web_base_url_the_bodies_read_as_before_links_came() -> None:
    (mail,) = render(invite(), with_link(addressee()))
    assert body(mail, "plain") == TODAY_TEXT
    html = body(mail, "html")
    assert html == body(one(invite()), "html")
    assert "/v1/rsvp/" not in html
    assert "<a " not in html
    assert "<strong>Accept</strong>, <strong>Maybe</strong> or <strong>Decline</strong>" in html


def test_the_same_version_and_time_render_the_same_bytes_with_links() -> None:
    people = [with_link(addressee()), with_link(addressee("carol@example.com", "Carol"))]
    first = [m.data for m in render(invite(), *people, renderer=LINKED)]
    assert first == [m.data for m in render(invite(), *people, renderer=LINKED)]


def test_matches_a_naive_build_with_links_for_each_recipient() -> None:
    version = invite(sequence=2, instances=(MOVED, DROPPED))
    people = [with_link(addressee(), 2), addressee("x@example.com", None)]
    people.append(with_link(addressee("zoe@example.com", "Zoë 😀"), 2))
    for mail, person in zip(render(version, *people, renderer=LINKED), people, strict=True):
        reference = reference_mail(version, person, sender=SENDER, now=NOW, web_base_url=WEB)
        assert semantics(mail.data) == semantics(reference)


def test_an_operators_template_places_the_links(tmp_path: Path) -> None:
    (tmp_path / "invite.txt.j2").write_text(
        "{{ title }}\n{% if links %}Yes: {{ links.accepted }}\n{% endif %}"
    )
    person = with_link(addressee())
    renderer = IcalendarInviteRenderer(templates=tmp_path, web_base_url=WEB)
    (mail,) = render(invite(), person, renderer=renderer)
    assert body(mail, "plain") == f"Weekly sync\r\nYes: {expected_links(person)['Accept']}\r\n"


@pytest.mark.parametrize("web", ["ftp://invites.example.com", "https://x.example/?a=1", "/v1"])
def test_a_renderer_refuses_a_base_url_it_cannot_link_to(web: str) -> None:
    with pytest.raises(ValueError, match="cannot be the base of web links"):
        IcalendarInviteRenderer(web_base_url=web)
