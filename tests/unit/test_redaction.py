"""Cutting a person out of kept mail and lists: real messages of the shared corpus, in
every transfer encoding, and recipient lists of any shape (hypothesis)."""

from __future__ import annotations

import base64
import csv
import io
import quopri
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from adapters.inbound.parser import EmailCalendarParser
from adapters.privacy.redaction import (
    ERASED,
    ERASED_ADDRESS,
    identifying,
    mentions,
    redact_csv,
    redact_message,
    redact_text,
)
from domain.messages import Unusable
from tests.conftest import CORPUS

CALENDAR_TYPES = {"text/calendar", "application/ics"}
# A few clients each, chosen for their encodings (MANIFEST.tsv).
SAMPLES = [
    "allday/google-reply-allday-qp.eml",  # QP text/calendar and a base64 application/ics
    "attachment/obm-request-inline-and-application-ics.eml",  # base64, twice
    "request/google-invite-de-qp-calendar.eml",  # QP calendar, German bodies
    "cancel/bluemind-cancel.eml",  # 7bit calendar and a base64 application/ics
    "encoding/exchange-cdo-zoom-meeting-8bit.eml",  # 8bit
    "request/google-invite-windows1252-bodies.eml",  # windows-1252 bodies
    "request/teams-meeting-invite.eml",
    "reply/ios-reply-accepted-fr.eml",
    "request/gcal-request.ics",  # a bare calendar, the address folded across two lines
    "reply/google-reply-accepted.ics",
]


def calendars(raw: bytes) -> list[bytes]:
    """Every calendar in a message (decoded from its part), or the bare file itself."""
    if raw.lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
        return [raw]
    message = BytesParser(policy=policy.default).parsebytes(raw)
    found = []
    for part in message.walk():
        if part.get_content_type() in CALENDAR_TYPES:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found.append(payload)
    return found


def people(raw: bytes) -> list[tuple[str, str | None]]:
    """The attendees (and organizer) a message's calendars name: address and CN."""
    found: dict[str, str | None] = {}
    for data in calendars(raw):
        for component in Calendar.from_ical(data).walk("VEVENT"):
            named = component.get("ATTENDEE", [])
            for person in [*(named if isinstance(named, list) else [named])]:
                address = re.sub(r"(?i)^mailto:", "", str(person))
                if "@" in address:
                    found[address] = person.params.get("CN")
    return list(found.items())


def readable(raw: bytes) -> str:
    """Everything a reader or a program could get out of ``raw``, lower case: the raw
    bytes, each header decoded, each part decoded from its transfer encoding and charset
    (and unfolded, for calendars), any calendar's own values."""
    texts = [raw.decode("latin-1"), raw.decode("utf-8", "replace")]
    if not raw.lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
        message = BytesParser(policy=policy.compat32).parsebytes(raw)
        for part in message.walk():
            texts += [_header(value) for value in part.values()]
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts += [payload.decode("latin-1"), payload.decode("utf-8", "replace")]
                texts.append(payload.decode("utf-16-le", "replace"))
    for data in calendars(raw):
        text = data.decode("utf-8", "replace")
        texts.append(re.sub(r"\r?\n[ \t]", "", text))
        texts.append(Calendar.from_ical(data).to_ical().decode("utf-8", "replace"))
    return "\n".join(texts).lower()


def said(address: str, text: str) -> bool:
    """Whether ``text`` holds ``address`` itself (not inside a longer one: ``joanna@`` is
    someone else than ``anna@``)."""
    pattern = rf"(?<![a-z0-9._+-]){re.escape(address)}(?![a-z0-9_-]|\.[a-z0-9])"
    return re.search(pattern, text, re.IGNORECASE) is not None


def _header(value: object) -> str:
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(str(value))))
    except Exception:
        return str(value)


@pytest.mark.parametrize("name", SAMPLES)
def test_no_attendee_address_survives_in_any_encoding(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    named = people(raw)
    assert named, f"{name} names no attendee"
    for address, _ in named:
        assert address.lower() in readable(raw)
        redacted = redact_message(raw, [address])
        assert redacted is not None
        assert address.lower() not in readable(redacted)
        # Still a message, still its calendars, and the rest of the attendees kept.
        assert len(calendars(redacted)) == len(calendars(raw))
        for other, _ in named:
            if address.lower() not in other.lower():
                assert other.lower() in readable(redacted), other


@pytest.mark.parametrize("name", SAMPLES)
def test_a_redacted_message_parses_as_it_did(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    address, cn = people(raw)[0]
    needles = [address, cn] if cn else [address]
    redacted = redact_message(raw, needles)
    assert redacted is not None
    for needle in needles:
        assert needle.lower() not in readable(redacted)
    before = EmailCalendarParser().parse(raw, sender="someone@example.org")
    after = EmailCalendarParser().parse(redacted, sender="someone@example.org")
    assert isinstance(after, Unusable) == isinstance(before, Unusable), after


def test_the_address_becomes_the_placeholder_asked_for() -> None:
    raw = (CORPUS / "request/gcal-request.ics").read_bytes()
    address = "inboxapptest.french@gmail.com"
    placeholder = "erased-0123456789abcdef0123@erased.invalid"
    redacted = redact_message(raw, {address: placeholder})
    assert redacted is not None
    text = re.sub(r"\r?\n[ \t]", "", redacted.decode())
    assert f"mailto:{placeholder}" in text
    # Refolded: no changed content line over 75 octets.
    changed = set(redacted.splitlines()) - set(raw.splitlines())
    assert changed
    assert max(len(line) for line in changed) <= 75


def test_folded_calendar_lines_without_the_person_are_left_as_they_were() -> None:
    raw = (CORPUS / "request/gcal-request.ics").read_bytes()
    redacted = redact_message(raw, ["inboxapptest.french@gmail.com"])
    assert redacted is not None
    changed = set(raw.split(b"\r\n")) ^ set(redacted.split(b"\r\n"))
    assert all(b"erased" in line or b"inboxapptest" in line or b"ench@" in line for line in changed)


def mail(**parts: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = '"Zoë Organizer" <zoe@example.org>'
    message["To"] = "Anna Müller <anna@example.org>, Joanna <joanna@example.org>"
    message["Subject"] = "Einladung für Anna Müller"
    message.set_content(
        "Hallo Anna Müller (anna@example.org),\nbis bald.\n", cte="quoted-printable"
    )
    message.add_attachment(
        (
            "BEGIN:VCALENDAR\r\nATTENDEE;CN=Anna Müller:mailto:anna@example.org\r\n"
            "END:VCALENDAR\r\n"
        ).encode(),
        maintype="text",
        subtype="calendar",
        filename="invite.ics",
    )
    return message.as_bytes(policy=policy.SMTP)


def test_encoded_words_quoted_printable_and_base64_are_all_reached() -> None:
    raw = mail()
    assert b"=?utf-8?" in raw  # the name only in encoded words in the headers
    redacted = redact_message(raw, ["anna@example.org", "Anna Müller"])
    assert redacted is not None
    text = readable(redacted)
    assert not said("anna@example.org", text)
    assert "anna müller" not in text
    # Someone else whose address contains hers is left alone, and so is the organizer.
    assert "joanna@example.org" in text
    assert "zoe@example.org" in text
    message = BytesParser(policy=policy.default).parsebytes(redacted)
    assert [a.addr_spec for a in message["To"].addresses] == [
        ERASED_ADDRESS,
        "joanna@example.org",
    ]
    assert "erased" in str(message["Subject"])
    body = message.get_body(("plain",))
    assert body is not None
    assert ERASED in body.get_content()
    assert body["Content-Transfer-Encoding"] == "quoted-printable"


def test_a_message_that_does_not_mention_the_person_is_left_alone() -> None:
    raw = mail()
    assert redact_message(raw, ["bob@example.org", "Bob Smith"]) is None
    assert not mentions(raw, ["bob@example.org"])
    assert mentions(raw, ["ANNA@EXAMPLE.ORG"])
    # Hidden from a byte search, found all the same.
    hidden = base64.b64encode(b"write to anna@example.org")
    assert mentions(
        b"Content-Transfer-Encoding: base64\r\n\r\n" + hidden + b"\r\n", ["anna@example.org"]
    )


def test_quoted_printable_soft_breaks_do_not_hide_an_address() -> None:
    body = quopri.encodestring(("x" * 70 + " anna@example.org\n").encode())
    raw = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + body
    assert b"anna@example.org" not in raw  # split by a soft line break
    redacted = redact_message(raw, ["anna@example.org"])
    assert redacted is not None
    assert b"anna@example.org" not in quopri.decodestring(redacted.split(b"\r\n\r\n", 1)[1])


def test_urls_carrying_the_address_are_reached() -> None:
    raw = (
        b"Content-Type: text/html\r\n\r\n<a href='https://x.test/u?to=anna%40example.org'>x</a>\r\n"
    )
    redacted = redact_message(raw, ["anna@example.org"])
    assert redacted is not None
    assert b"anna%40example.org" not in redacted.lower()


def test_identifying_needles_are_the_addresses() -> None:
    assert identifying(["Anna", "anna@example.org"]) == ["anna@example.org"]
    assert identifying({"Anna": "x"}) == ["Anna"]
    assert redact_text("From ANNA@example.org", ["anna@example.org"]) == f"From {ERASED_ADDRESS}"


# -- recipient lists -----------------------------------------------------------------------

# No lone CR: csv.writer leaves it unquoted with a "\n" line end, and then the list's own
# rows are not what was written.
cells = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r"),
    max_size=12,
)
addresses = st.from_regex(r"[a-z]{1,8}@[a-z]{1,6}\.(org|test)", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(addresses, cells), min_size=1, max_size=12),
    target=st.integers(min_value=0),
    line_end=st.sampled_from(["\r\n", "\n"]),
    bom=st.booleans(),
    delimiter=st.sampled_from([",", ";"]),
)
def test_a_list_loses_the_rows_that_name_the_person_and_nothing_else(
    rows: list[tuple[str, str]], target: int, line_end: str, bom: bool, delimiter: str
) -> None:
    person = rows[target % len(rows)][0]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(["email", "name"])
    writer.writerows(rows)
    raw = (("\ufeff" if bom else "") + out.getvalue()).encode()
    redacted = redact_csv(raw, [person])
    assert redacted is not None
    assert not said(person, redacted.decode("utf-8"))
    assert redacted.startswith(("\ufeff" if bom else "").encode() + b"email")
    text = io.StringIO(redacted.decode("utf-8-sig"), newline="")
    kept = list(csv.reader(text, delimiter=delimiter))
    expected = [list(row) for row in rows if not said(person, delimiter.join(row))]
    assert kept == [["email", "name"], *expected]
    # Byte for byte: the rows kept are the very bytes they were.
    again = io.StringIO()
    writer = csv.writer(again, delimiter=delimiter, lineterminator=line_end)
    writer.writerows([["email", "name"], *expected])
    assert redacted == (("\ufeff" if bom else "") + again.getvalue()).encode()


def test_a_list_that_does_not_name_the_person_is_left_alone() -> None:
    raw = b"email,name\r\nzoe@example.org,Zo\xc3\xab\r\n"
    assert redact_csv(raw, ["anna@example.org"]) is None


def test_a_windows_1252_list_keeps_its_bytes() -> None:
    raw = "email;name\r\nanna@example.org;Anna Müller\r\nzoe@example.org;Zoë€\r\n".encode("cp1252")
    assert redact_csv(raw, ["anna@example.org"]) == "email;name\r\nzoe@example.org;Zoë€\r\n".encode(
        "cp1252"
    )


def test_a_cell_over_several_lines_goes_with_its_row() -> None:
    raw = b'email,name\nanna@example.org,"Anna\nM\xc3\xbcller"\nzoe@example.org,Zoe\n'
    assert redact_csv(raw, ["anna@example.org"]) == b"email,name\nzoe@example.org,Zoe\n"
