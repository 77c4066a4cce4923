"""The inbound parser on small hand-built messages, one oddity of real mail at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from email import encoders
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from adapters.inbound.parser import EmailCalendarParser
from domain.messages import Bounce, ItipMessage, ParsedMessage, Unusable
from domain.values import Method

UID = "meeting-1@example.org"
ORGANIZER = "ORGANIZER;CN=Olga Organizer:mailto:Olga@Example.org"
BASE = [
    f"UID:{UID}",
    "DTSTAMP:20240401T120000Z",
    "DTSTART:20240501T080000Z",
    "DTEND:20240501T090000Z",
    "SUMMARY:Planning",
    ORGANIZER,
]


def ics(*events: list[str], method: str | None = "REQUEST", head: tuple[str, ...] = ()) -> str:
    """Return an iCalendar text with one VEVENT per list of content lines."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tests//Hand built//EN", *head]
    if method is not None:
        lines.append(f"METHOD:{method}")
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


def calendar_part(
    data: bytes,
    *,
    content_type: str = "text/calendar",
    encode: str = "base64",
    **params: str,
) -> Message:
    """Return a MIME part carrying ``data`` with the given transfer encoding."""
    maintype, subtype = content_type.split("/")
    part = MIMEBase(maintype, subtype, policy=None, **params)
    part.set_payload(data)
    if encode == "base64":
        encoders.encode_base64(part)
    elif encode == "quoted-printable":
        encoders.encode_quopri(part)
    elif encode == "sloppy-qp":  # declared quoted-printable, '=' left unencoded
        part.set_payload(data.decode("ascii"))
        part["Content-Transfer-Encoding"] = "quoted-printable"
    return part


def mail(
    *parts: Message, subtype: str = "mixed", sender: str | None = "Olga <olga@example.org>"
) -> bytes:
    """Return the bytes of a multipart email holding ``parts``."""
    message = MIMEMultipart(subtype)
    if sender is not None:
        message["From"] = sender
    message["To"] = "create@invites.example.net"
    message["Subject"] = "Invitation"
    for part in parts:
        message.attach(part)
    return message.as_bytes()


def parse(raw: bytes, sender: str | None = None) -> ParsedMessage:
    return EmailCalendarParser().parse(raw, sender=sender)


def parsed(raw: bytes, sender: str | None = None) -> ItipMessage:
    result = parse(raw, sender)
    assert isinstance(result, ItipMessage), result
    return result


def refused(raw: bytes) -> Unusable:
    result = parse(raw)
    assert isinstance(result, Unusable), result
    assert len(result.reason) > 40
    return result


# Where the calendar is and how it is encoded


def test_finds_a_calendar_nested_in_related_inside_alternative_inside_mixed() -> None:
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("See you there", "plain"))
    related = MIMEMultipart("related")
    related.attach(MIMEText("<p>See you</p>", "html"))
    related.attach(calendar_part(ics(BASE).encode(), method="REQUEST", charset="utf-8"))
    alternative.attach(related)
    message = parsed(mail(alternative))
    assert (message.method, message.uid, message.sender) == (
        Method.REQUEST,
        UID,
        "olga@example.org",
    )
    assert message.organizer == "olga@example.org"
    assert message.organizer_name == "Olga Organizer"


def test_decodes_base64_latin1_calendar() -> None:
    text = ics([*BASE[:-2], "SUMMARY:Réunion à Zürich", ORGANIZER])
    part = calendar_part(text.encode("iso-8859-1"), method="REQUEST", charset="iso-8859-1")
    assert parsed(mail(part)).components[0].details.summary == "Réunion à Zürich"


def test_survives_a_bogus_charset_by_falling_back_to_utf8() -> None:
    text = ics([*BASE[:-2], "SUMMARY:Café ☕", ORGANIZER])
    part = calendar_part(text.encode("utf-8"), method="REQUEST", charset="iso-4444-5")
    assert parsed(mail(part)).components[0].details.summary == "Café ☕"


def test_unlabelled_non_utf8_calendar_falls_back_to_windows_1252() -> None:
    summary = "Déjà vu \u2013 encore"  # the en dash is 0x96: windows-1252, not latin-1
    text = ics([*BASE[:-2], f"SUMMARY:{summary}", ORGANIZER])
    part = calendar_part(text.encode("windows-1252"), method="REQUEST")
    assert parsed(mail(part)).components[0].details.summary == summary


def test_sloppy_quoted_printable_with_bare_equals_signs_still_decodes() -> None:
    # As Thunderbird's fixture: some '=' encoded as =3D, others left bare. ('=' before two
    # hex digits, as in "=AC", is genuinely ambiguous and decodes as an escape.)
    line = "ATTENDEE;CN=Bob;PARTSTAT=3DNEEDS-ACTION;RSVP=TRUE:mailto:bob@example.org"
    part = calendar_part(ics([*BASE, line]).encode(), encode="sloppy-qp", method="REQUEST")
    (attendee,) = parsed(mail(part)).components[0].details.attendees
    assert (attendee.address, attendee.name, attendee.partstat, attendee.rsvp) == (
        "bob@example.org",
        "Bob",
        "NEEDS-ACTION",
        True,
    )


def test_quoted_printable_calendar_with_soft_line_breaks() -> None:
    event = [*BASE[:-2], "SUMMARY:" + "Long meeting title " * 8, ORGANIZER]
    part = calendar_part(ics(event).encode(), encode="quoted-printable", method="REQUEST")
    summary = parsed(mail(part)).components[0].details.summary
    # Exactly as written, its trailing space too: soft line breaks add and lose nothing.
    assert summary == "Long meeting title " * 8


def test_mixed_case_content_type_is_recognised() -> None:
    part = calendar_part(ics(BASE).encode(), content_type="TeXt/CaLeNdAr", method="REQUEST")
    assert parsed(mail(part)).uid == UID


def test_application_ics_attachment_alone_is_enough() -> None:
    part = calendar_part(ics(BASE).encode(), content_type="application/ics", name="invite.ics")
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message = parsed(mail(MIMEText("Invitation attached", "plain"), part))
    assert (message.method, message.uid) == (Method.REQUEST, UID)


def test_octet_stream_attachment_named_ics_is_a_calendar() -> None:
    part = calendar_part(ics(BASE).encode(), content_type="application/octet-stream")
    part.add_header("Content-Disposition", "attachment", filename="Meeting.ICS")
    assert parsed(mail(part)).uid == UID


def test_prefers_the_text_calendar_with_a_method_over_other_copies() -> None:
    stale_copy = ics([*BASE[:-2], "SUMMARY:Attached copy", ORGANIZER])
    attachment = calendar_part(stale_copy.encode(), content_type="application/ics")
    inline = calendar_part(ics(BASE).encode(), method="REQUEST")
    assert parsed(mail(attachment, inline)).components[0].details.summary == "Planning"


def test_falls_back_to_a_later_part_when_the_first_is_broken() -> None:
    broken = calendar_part(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", method="REQUEST")
    good = calendar_part(ics(BASE).encode(), content_type="application/ics")
    assert parsed(mail(broken, good)).uid == UID


def test_reports_the_best_parts_reason_when_no_part_is_usable() -> None:
    broken = calendar_part(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", method="REQUEST")
    assert refused(mail(broken, broken)).kind == "malformed"


def test_single_part_calendar_message_without_transfer_encoding() -> None:
    message = MIMEText(ics(BASE), "calendar", "utf-8")
    message.set_param("method", "REQUEST")
    message["From"] = "olga@example.org"
    assert parsed(message.as_bytes()).sender == "olga@example.org"


def test_bare_ics_with_bom_and_leading_blank_lines() -> None:
    raw = b"\xef\xbb\xbf\r\n  \r\n" + ics(BASE).encode()
    message = parsed(raw, sender="Olga@Example.org")
    assert (message.uid, message.sender) == (UID, "olga@example.org")


def test_bare_ics_detection_is_case_insensitive() -> None:
    raw = ics(BASE).replace("BEGIN:VCALENDAR", "begin:vcalendar").encode()
    assert parsed(raw).uid == UID


def test_envelope_sender_is_used_only_without_a_from_header() -> None:
    part = calendar_part(ics(BASE).encode(), method="REQUEST")
    assert parsed(mail(part, sender=None), sender="Env@Example.org").sender == "env@example.org"
    assert parsed(mail(part), sender="env@example.org").sender == "olga@example.org"
    assert parsed(mail(part, sender=None)).sender is None


# Unusable inputs


def test_empty_bytes() -> None:
    assert refused(b"").kind == "empty"


def test_garbage_bytes_are_no_calendar() -> None:
    result = refused(bytes(range(256)) * 4)
    assert result.kind == "no-calendar"


def test_email_without_calendar_part() -> None:
    result = refused(mail(MIMEText("Lunch tomorrow?", "plain")))
    assert result.kind == "no-calendar"
    assert "text/calendar" in result.reason


def test_delivery_status_notification_is_a_bounce_even_with_the_invite_inside() -> None:
    report = MIMEMultipart("report", report_type="delivery-status")
    report.attach(MIMEText("Delivery failed", "plain"))
    status = MIMEBase("message", "delivery-status")
    for field, value in (("Reporting-MTA", "dns; mx.example.org"), ("Action", "failed")):
        block = Message()
        block[field] = value
        status.attach(block)
    report.attach(status)
    report.attach(calendar_part(ics(BASE).encode(), method="REQUEST"))
    report["From"] = "MAILER-DAEMON@example.org"
    bounce = parse(report.as_bytes())
    assert isinstance(bounce, Bounce)
    assert bounce.permanent


def dsn(*blocks: dict[str, str]) -> bytes:
    report = MIMEMultipart("report", report_type="delivery-status")
    report.attach(MIMEText("Your message could not be delivered.", "plain"))
    status = MIMEBase("message", "delivery-status")
    for fields in blocks:
        block = Message()
        for name, value in fields.items():
            block[name] = value
        status.attach(block)
    report.attach(status)
    report["From"] = "MAILER-DAEMON@mx.example.org"
    return report.as_bytes()


def test_dsn_names_the_failed_recipient_and_why() -> None:
    bounce = parse(
        dsn(
            {"Reporting-MTA": "dns; mx.example.org"},
            {
                "Final-Recipient": "rfc822; Bob@Example.org",
                "Action": "failed",
                "Status": "5.1.1",
                "Diagnostic-Code": "smtp; 550 5.1.1 <bob@example.org>:\r\n"
                " Recipient address rejected: User unknown",
            },
        )
    )
    assert isinstance(bounce, Bounce)
    assert (bounce.permanent, bounce.recipient, bounce.status) == (True, "bob@example.org", "5.1.1")
    assert "User unknown" in bounce.reason
    assert "\n" not in bounce.reason


def test_a_delay_notice_is_not_permanent() -> None:
    bounce = parse(
        dsn({"Final-Recipient": "rfc822; bob@example.org", "Action": "delayed", "Status": "4.4.1"})
    )
    assert isinstance(bounce, Bounce)
    assert not bounce.permanent


def test_a_report_without_recipient_blocks_is_refused_as_a_bounce() -> None:
    assert refused(dsn({"Reporting-MTA": "dns; mx.example.org"})).kind == "bounce"


def test_tnef_part_without_calendar() -> None:
    tnef = MIMEBase("application", "ms-tnef")
    tnef.set_payload(b"\x78\x9f\x3e\x22" + bytes(64))
    encoders.encode_base64(tnef)
    tnef.add_header("Content-Disposition", "attachment", filename="winmail.dat")
    result = refused(mail(MIMEText("Meeting", "plain"), tnef))
    assert result.kind == "tnef"
    assert "Outlook" in result.reason


def test_tnef_part_beside_a_calendar_part_does_not_hide_the_calendar() -> None:
    tnef = MIMEBase("application", "ms-tnef")
    tnef.set_payload(b"\x78\x9f\x3e\x22")
    encoders.encode_base64(tnef)
    assert parsed(mail(tnef, calendar_part(ics(BASE).encode(), method="REQUEST"))).uid == UID


def test_raw_tnef_stream() -> None:
    assert refused(b"\x78\x9f\x3e\x22\x01\x02\x03" + bytes(100)).kind == "tnef"


def test_vtodo_only_is_not_an_event() -> None:
    todo = "\r\n".join(
        [
            *("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//T//T//EN", "METHOD:REQUEST"),
            *("BEGIN:VTODO", "UID:task-1", "SUMMARY:Write report", "END:VTODO", "END:VCALENDAR"),
        ]
    )
    result = refused(todo.encode())
    assert result.kind == "not-an-event"
    assert "VTODO" in result.reason


def test_two_uids_in_one_message() -> None:
    other = [line.replace(UID, "other@example.org") for line in BASE]
    result = refused(ics(BASE, other).encode())
    assert result.kind == "several-uids"
    assert UID in result.reason
    assert "other@example.org" in result.reason


def test_unknown_method_is_malformed() -> None:
    result = refused(ics(BASE, method="INVITE").encode())
    assert result.kind == "malformed"
    assert "INVITE" in result.reason


def test_event_without_uid_is_malformed_unless_the_calendar_has_one() -> None:
    no_uid = BASE[1:]
    assert refused(ics(no_uid).encode()).kind == "malformed"
    message = parsed(ics(no_uid, head=("UID:calendar-level@example.org",)).encode())
    assert message.uid == "calendar-level@example.org"


def test_truncated_calendar_is_malformed() -> None:
    text = ics(BASE)
    result = refused(text[: len(text) // 2].encode())
    assert result.kind == "malformed"


def test_a_calendar_part_holding_only_a_file_path_is_never_read_from_disk(
    tmp_path: Path,
) -> None:
    decoy = tmp_path / "decoy.ics"
    decoy.write_text(ics(BASE))
    part = calendar_part(str(decoy).encode(), method="REQUEST")
    assert refused(mail(part)).kind == "malformed"


# Methods


def test_body_method_wins_over_a_disagreeing_content_type() -> None:
    part = calendar_part(ics(BASE, method="CANCEL").encode(), method="REQUEST")
    assert parsed(mail(part)).method is Method.CANCEL


def test_content_type_method_is_used_when_the_body_has_none() -> None:
    part = calendar_part(ics(BASE, method=None).encode(), method="cancel")
    assert parsed(mail(part)).method is Method.CANCEL


def test_no_method_anywhere_means_request() -> None:
    assert parsed(ics(BASE, method=None).encode()).method is Method.REQUEST


def test_publish_is_returned_as_publish() -> None:
    assert parsed(ics(BASE, method="PUBLISH").encode()).method is Method.PUBLISH


def test_counter_keeps_its_comment() -> None:
    event = [*BASE, "COMMENT:Could we start an hour later?"]
    message = parsed(ics(event, method="COUNTER").encode())
    assert (message.method, message.comment) == (Method.COUNTER, "Could we start an hour later?")


# Components and times


def test_override_only_message_has_no_master() -> None:
    override = [
        *BASE[:2],
        "RECURRENCE-ID;TZID=Europe/Paris:20240508T100000",
        "DTSTART;TZID=Europe/Paris:20240508T110000",
        "DTEND;TZID=Europe/Paris:20240508T120000",
        "SEQUENCE:3",
    ]
    future = [*BASE[:2], "RECURRENCE-ID;RANGE=THISANDFUTURE;VALUE=DATE:20240515", "SEQUENCE:4"]
    message = parsed(ics(override, future).encode())
    assert message.master is None
    first, second = message.components
    assert (first.recurrence_id, first.this_and_future, first.sequence) == (
        "2024-05-08T08:00:00+00:00",
        False,
        3,
    )
    assert (first.details.start, first.details.timezone) == (
        "2024-05-08T11:00:00+02:00",
        "Europe/Paris",
    )
    assert (second.recurrence_id, second.this_and_future) == ("2024-05-15", True)


def test_master_and_override_in_concatenated_vcalendars_form_one_message() -> None:
    master = [*BASE, "RRULE:FREQ=WEEKLY;COUNT=4"]
    override = [*BASE[:2], "RECURRENCE-ID:20240508T080000Z", "DTSTART:20240508T090000Z"]
    message = parsed((ics(master) + ics(override)).encode())
    assert [c.recurrence_id for c in message.components] == [None, "2024-05-08T08:00:00+00:00"]
    assert message.master is not None
    assert message.master.details.rrule == "FREQ=WEEKLY;COUNT=4"


def test_identical_duplicate_components_are_kept_once() -> None:
    assert len(parsed(ics(BASE, BASE).encode()).components) == 1


def test_all_day_event() -> None:
    event = [*BASE[:2], "DTSTART;VALUE=DATE:20240501", "DTEND;VALUE=DATE:20240503"]
    details = parsed(ics(event).encode()).components[0].details
    assert (details.start, details.end, details.all_day, details.timezone) == (
        "2024-05-01",
        "2024-05-03",
        True,
        None,
    )


def test_all_day_event_without_end_lasts_one_day() -> None:
    details = parsed(ics([*BASE[:2], "DTSTART;VALUE=DATE:20240229"]).encode()).components[0]
    assert (details.details.start, details.details.end) == ("2024-02-29", "2024-03-01")


def test_duration_without_dtend() -> None:
    event = [*BASE[:2], "DTSTART;TZID=Europe/Paris:20240501T100000", "DURATION:PT1H30M"]
    details = parsed(ics(event).encode()).components[0].details
    assert (details.start, details.end) == (
        "2024-05-01T10:00:00+02:00",
        "2024-05-01T11:30:00+02:00",
    )


def test_exact_duration_across_a_dst_change_adds_elapsed_time() -> None:
    # 2024-03-31 02:00 Paris jumps to 03:00: three elapsed hours from 01:00 end at 05:00.
    event = [*BASE[:2], "DTSTART;TZID=Europe/Paris:20240331T010000", "DURATION:PT3H"]
    details = parsed(ics(event).encode()).components[0].details
    assert (details.start, details.end) == (
        "2024-03-31T01:00:00+01:00",
        "2024-03-31T05:00:00+02:00",
    )


def test_nominal_day_duration_keeps_the_wall_clock_time() -> None:
    event = [*BASE[:2], "DTSTART;TZID=Europe/Paris:20240330T100000", "DURATION:P1D"]
    details = parsed(ics(event).encode()).components[0].details
    assert details.end == "2024-03-31T10:00:00+02:00"


def test_start_without_end_or_duration_ends_when_it_starts() -> None:
    details = parsed(ics([*BASE[:2], "DTSTART:20240501T080000Z"]).encode()).components[0].details
    assert details.end == details.start == "2024-05-01T08:00:00+00:00"


def test_floating_time_stays_floating() -> None:
    event = [*BASE[:2], "DTSTART:20240501T100000", "DTEND:20240501T110000"]
    details = parsed(ics(event).encode()).components[0].details
    assert (details.start, details.end, details.timezone) == (
        "2024-05-01T10:00:00",
        "2024-05-01T11:00:00",
        None,
    )


def test_bare_dtend_beside_a_zoned_dtstart_takes_the_same_zone() -> None:
    event = [*BASE[:2], "DTSTART;TZID=Europe/Paris:20240501T100000", "DTEND:20240501T110000"]
    assert parsed(ics(event).encode()).components[0].details.end == "2024-05-01T11:00:00+02:00"


@pytest.mark.filterwarnings("ignore::icalendar.error.GloballyUniqueTZIDGuessed")
@pytest.mark.parametrize(
    ("tzid", "zone", "winter", "summer"),
    [
        ("Europe/Paris", "Europe/Paris", "+01:00", "+02:00"),
        ("/freeassociation.sourceforge.net/Europe/Paris", "Europe/Paris", "+01:00", "+02:00"),
        ("Romance Standard Time", "Europe/Paris", "+01:00", "+02:00"),
        ("Pacific Standard Time", "America/Los_Angeles", "-08:00", "-07:00"),
        ("W. Europe Standard Time", "Europe/Berlin", "+01:00", "+02:00"),
        ("FLE Standard Time", "Europe/Kiev", "+02:00", "+03:00"),
        ("Greenwich Standard Time", "Atlantic/Reykjavik", "+00:00", "+00:00"),
        ("Eastern Standard Time", "America/New_York", "-05:00", "-04:00"),
        ("Pacific Time (US & Canada),Tijuana", "America/Los_Angeles", "-08:00", "-07:00"),
        ("(UTC+01:00) Bruxelles, Copenhague, Madrid, Paris", "Europe/Paris", "+01:00", "+02:00"),
        ("(UTC-03:00) Brasília", "America/Sao_Paulo", "-03:00", "-03:00"),
        ("Sarajevo, Skopje, Warsaw, Zagreb", "Europe/Warsaw", "+01:00", "+02:00"),
        ("W. Europe", "Europe/Berlin", "+01:00", "+02:00"),
    ],
)
def test_tzids_resolve_to_iana_with_the_offset_of_the_date(
    tzid: str, zone: str, winter: str, summer: str
) -> None:
    for day, offset in (("20240115", winter), ("20240715", summer)):
        event = [*BASE[:2], f'DTSTART;TZID="{tzid}":{day}T100000']
        details = parsed(ics(event).encode()).components[0].details
        assert details.timezone == zone
        assert details.start == f"{day[:4]}-{day[4:6]}-{day[6:]}T10:00:00{offset}"


def custom_zone(tzid: str, standard: str, daylight: str) -> tuple[str, ...]:
    """Return VTIMEZONE lines for a zone with EU-style DST rules and the given offsets."""
    return (
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        "BEGIN:STANDARD",
        "DTSTART:16010101T030000",
        f"TZOFFSETFROM:{daylight}",
        f"TZOFFSETTO:{standard}",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:16010101T020000",
        f"TZOFFSETFROM:{standard}",
        f"TZOFFSETTO:{daylight}",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    )


def test_unmapped_tzid_uses_its_own_vtimezone_offsets() -> None:
    event = [*BASE[:2], 'DTSTART;TZID="Customized Time Zone":20240715T100000']
    head = custom_zone("Customized Time Zone", "+0300", "+0400")
    details = parsed(ics(event, head=head).encode()).components[0].details
    assert (details.start, details.timezone) == (
        "2024-07-15T10:00:00+04:00",
        "Customized Time Zone",
    )


def test_same_custom_tzid_from_two_senders_keeps_each_definition() -> None:
    event = [*BASE[:2], 'DTSTART;TZID="Customized Time Zone 2":20240115T100000']
    east = custom_zone("Customized Time Zone 2", "+0500", "+0600")
    west = custom_zone("Customized Time Zone 2", "-0600", "-0500")
    first = parsed(ics(event, head=east).encode()).components[0].details.start
    second = parsed(ics(event, head=west).encode()).components[0].details.start
    assert (first, second) == ("2024-01-15T10:00:00+05:00", "2024-01-15T10:00:00-06:00")


def test_unknown_tzid_without_vtimezone_stays_floating_with_its_name() -> None:
    event = [*BASE[:2], 'DTSTART;TZID="Somewhere Standard":20240501T100000']
    details = parsed(ics(event).encode()).components[0].details
    assert (details.start, details.timezone) == ("2024-05-01T10:00:00", "Somewhere Standard")


def test_sequence_and_dtstamp_oddities() -> None:
    huge = parsed(ics([*BASE, "SEQUENCE:1407317367304"]).encode()).components[0]
    invalid = parsed(ics([*BASE, "SEQUENCE:two"]).encode()).components[0]
    dated = parsed(ics(["DTSTAMP;VALUE=DATE:20240401", *BASE[2:], f"UID:{UID}"]).encode())
    missing = parsed(ics([BASE[0], *BASE[2:]]).encode()).components[0]
    assert (huge.sequence, invalid.sequence, missing.sequence) == (1407317367304, 0, 0)
    assert huge.dtstamp == datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
    assert dated.components[0].dtstamp == datetime(2024, 4, 1, tzinfo=UTC)
    assert missing.dtstamp is None


def test_rrule_with_spaces_is_repaired_and_unreadable_rrule_refused() -> None:
    spaced = parsed(ics([*BASE, "RRULE:FREQ=DAILY;BYDAY=MO, TU, WE;COUNT=5"]).encode())
    assert spaced.components[0].details.rrule == "FREQ=DAILY;COUNT=5;BYDAY=MO,TU,WE"
    result = refused(ics([*BASE, "RRULE:FREQ=SOMETIMES"]).encode())
    assert (result.kind, "SOMETIMES" in result.reason) == ("malformed", True)


def test_rdates_and_exdates_are_instants() -> None:
    event = [
        *BASE,
        "RDATE;TZID=Europe/Paris:20240601T100000,20240602T100000",
        "RDATE;VALUE=PERIOD:20240610T080000Z/20240610T090000Z",
        "EXDATE;VALUE=DATE:20240520",
    ]
    details = parsed(ics(event).encode()).components[0].details
    assert details.rdates == (
        "2024-06-01T08:00:00+00:00",
        "2024-06-02T08:00:00+00:00",
        "2024-06-10T08:00:00+00:00",
    )
    assert details.exdates == ("2024-05-20",)


def test_attendee_addresses_params_and_skips() -> None:
    event = [
        *BASE,
        'ATTENDEE;CN="Doe\\, Jane";ROLE=chair;PARTSTAT=accepted;RSVP=TRUE:MAILTO:Jane@Example.ORG',
        "ATTENDEE;EMAIL=pat@example.org;CN=Pat:urn:uuid:0b9f3a2c-1111-2222-3333-444455556666",
        'ATTENDEE;SENT-BY="mailto:boss@example.org":sam@example.org',
        "ATTENDEE;CN=Nobody:invalid:nomail",
        "ATTENDEE;CN=Room:http://rooms.example.org/1",
    ]
    attendees = parsed(ics(event).encode()).components[0].details.attendees
    assert [(a.address, a.name, a.partstat, a.role, a.rsvp) for a in attendees] == [
        ("jane@example.org", "Doe, Jane", "ACCEPTED", "CHAIR", True),
        ("pat@example.org", "Pat", "NEEDS-ACTION", None, False),
        ("sam@example.org", None, "NEEDS-ACTION", None, False),
    ]
    assert attendees[2].sent_by == "boss@example.org"


def test_organizer_sent_by_and_email_parameter() -> None:
    organizer = (
        'ORGANIZER;CN=Olga;SENT-BY="MAILTO:Assistant@Example.org";EMAIL=olga@example.org'
        ":mailto:relay-123@imip.example.net"
    )
    message = parsed(ics([*BASE[:-1], organizer]).encode())
    assert (message.organizer, message.organizer_name, message.sent_by) == (
        "olga@example.org",
        "Olga",
        "assistant@example.org",
    )


def test_text_fields_take_the_first_of_repeated_properties_and_drop_blanks() -> None:
    event = [*BASE[:-2], "SUMMARY:First", "SUMMARY:Second", "LOCATION:", ORGANIZER]
    details = parsed(ics(event).encode()).components[0].details
    assert (details.summary, details.location) == ("First", None)


def test_status_is_upper_case_and_only_event_statuses_count() -> None:
    tentative = parsed(ics([*BASE, "STATUS:tentative"]).encode()).components[0]
    completed = parsed(ics([*BASE, "STATUS:COMPLETED"]).encode()).components[0]
    assert (tentative.details.status, completed.details.status) == ("TENTATIVE", None)


def test_file_uri_attachments_are_ignored() -> None:
    event = [*BASE, "ATTACH;FMTTYPE=text/plain:file:///etc/passwd"]
    details = parsed(ics(event).encode()).components[0].details
    assert "root:" not in repr(details)
