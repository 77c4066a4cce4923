"""Notices to organizers read back as a mail client would: right headers, facts, no injection."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID

import pytest

from adapters.mail.outbox import OutboxFolderMailer
from adapters.outbound.notices import EmailNoticeSender
from application.ports import Mailer, Notice, OutgoingMail, TemporaryDeliveryError

SENDER = "notices@cis.example"
DOMAIN = "cis.example"
ORGANIZER = "alice@example.com"
INVITE = UUID("0b5f3d5e-8f4f-4a43-9a57-3c1d8f0c2a11")
NOW = datetime(2025, 3, 1, 9, 0, 12, 345678, tzinfo=UTC)
REPORT = b"email,status\r\nbob@example.com,accepted\r\n\xc3\xa9ric@example.com,declined\r\n"

# One realistic notice per kind, and what its subject and body must say.
NOTICES: dict[str, tuple[Notice, str, list[str]]] = {
    "created": (
        Notice("created", ORGANIZER, INVITE, "Weekly sync"),
        "Your invite 'Weekly sync' is recorded",
        [str(INVITE), f"cis send {INVITE}"],
    ),
    "rejected": (
        Notice(
            "rejected", ORGANIZER, None, "Weekly sync", {"reason": "the invite has no start time"}
        ),
        "Weekly sync",
        ["the invite has no start time", "What to do"],
    ),
    "limit": (
        Notice("limit", ORGANIZER, None, "Weekly sync", {"limit": "10", "used": "10"}),
        "Limit reached",
        ["Limit: 10", "Used:  10"],
    ),
    "held": (
        Notice("held", ORGANIZER, INVITE, "Weekly sync", {"changes": "time", "sequence": "2"}),
        "held for review",
        [f"cis approve {INVITE}", "What changed: time"],
    ),
    "bulk-summary": (
        Notice(
            "bulk-summary",
            ORGANIZER,
            INVITE,
            "Weekly sync",
            {"count.sent": "40", "count.invalid": "2", "invalid.7": "not an address: bob@"},
        ),
        "Weekly sync",
        ["sent: 40", "invalid: 2", "line 7: not an address: bob@"],
    ),
    "rsvp-report": (
        Notice(
            "rsvp-report",
            ORGANIZER,
            INVITE,
            "Weekly sync",
            {"count.accepted": "12", "count.declined": "3", "count.no answer": "5"},
            ("weekly-sync-rsvp.csv", REPORT),
        ),
        "RSVP report",
        ["accepted: 12", "declined: 3", "no answer: 5", "weekly-sync-rsvp.csv"],
    ),
    "counter": (
        Notice(
            "counter",
            ORGANIZER,
            INVITE,
            "Weekly sync",
            {
                "attendee": "bob@example.com",
                "proposed": "Tue 11 Mar 10:00",
                "comment": "Mon is off",
            },
        ),
        "bob@example.com proposes a new time",
        ["bob@example.com", "Proposed: Tue 11 Mar 10:00", "> Mon is off"],
    ),
    "forwarded-reply": (
        Notice(
            "forwarded-reply",
            ORGANIZER,
            INVITE,
            "Weekly sync",
            {"from": "carol@example.com", "text": "Count me in!\nCarol"},
        ),
        "carol@example.com",
        ["carol@example.com", "> Count me in!\n> Carol"],
    ),
}
KINDS = sorted(NOTICES)
INJECTIONS = [
    "Evil\r\nBcc: x@y",
    "=?utf-8?q?=0D=0ABcc:_x@y?=",
    "Evil\nBcc: x@y\n\n--=_notice_x\nContent-Type: text/html",
    "Evil\u2028Bcc: x@y\x85Bcc: z@y",
]
HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted"}
MIME = {"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "X-Auto-Response-Suppress"}


class RecordingMailer(Mailer):
    """Keeps every mail it is given; can be told to fail for now."""

    def __init__(self, failure: str | None = None) -> None:
        self.sent: list[OutgoingMail] = []
        self.failure = failure

    def send(self, mail: OutgoingMail) -> str:
        if self.failure is not None:
            raise TemporaryDeliveryError(self.failure)
        self.sent.append(mail)
        return f"recorded #{len(self.sent)}"


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    assert part.get_content_type() == "text/plain"
    assert part.get_content_charset() == "utf-8"
    return str(part.get_content()).replace("\r\n", "\n")


@pytest.fixture
def outbox(tmp_path: Path) -> OutboxFolderMailer:
    return OutboxFolderMailer(tmp_path / "outbox", fsync=False)


@pytest.fixture
def notices(outbox: OutboxFolderMailer) -> EmailNoticeSender:
    return EmailNoticeSender(outbox, sender=SENDER, domain=DOMAIN)


def sent(notices: EmailNoticeSender, notice: Notice) -> EmailMessage:
    return parse(Path(notices.send(notice, now=NOW)).read_bytes())


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_the_headers_a_mail_client_and_a_responder_rely_on(
    notices: EmailNoticeSender, kind: str
) -> None:
    notice, subject, _ = NOTICES[kind]
    message = sent(notices, notice)
    assert message["From"] == SENDER
    assert message["To"] == ORGANIZER
    assert subject in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime == NOW.replace(microsecond=0)
    assert message["Message-ID"].endswith(f"@{DOMAIN}>")
    assert message.defects == []


@pytest.mark.parametrize("kind", KINDS)
def test_the_body_names_the_invite_and_says_the_kinds_facts(
    notices: EmailNoticeSender, kind: str
) -> None:
    notice, _, facts = NOTICES[kind]
    body = body_of(sent(notices, notice))
    assert "Weekly sync" in body
    for fact in facts:
        assert fact in body


@pytest.mark.parametrize("kind", KINDS)
def test_a_retried_notice_keeps_its_message_id_and_replaces_the_first_copy(
    notices: EmailNoticeSender, outbox: OutboxFolderMailer, kind: str
) -> None:
    notice = NOTICES[kind][0]
    first = sent(notices, notice)["Message-ID"]
    again = sent(notices, replace(notice, facts=dict(reversed(list(notice.facts.items())))))
    assert again["Message-ID"] == first
    assert len(list(outbox.entries())) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_another_notice_gets_another_message_id(notices: EmailNoticeSender, kind: str) -> None:
    notice = NOTICES[kind][0]
    other = replace(notice, facts={**notice.facts, "sequence": "9"})
    assert sent(notices, other)["Message-ID"] != sent(notices, notice)["Message-ID"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("payload", INJECTIONS)
def test_user_text_never_becomes_a_header(
    notices: EmailNoticeSender, kind: str, payload: str
) -> None:
    notice = NOTICES[kind][0]
    evil = replace(notice, title=payload, facts=dict.fromkeys(notice.facts, payload))
    data = Path(notices.send(evil, now=NOW)).read_bytes()
    message = parse(data)
    assert set(message.keys()) <= HEADERS | MIME
    assert "\n" not in message["Subject"]
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert not [line for line in head.split("\r\n") if line.lower().startswith("bcc")]
    # What the organizer reads is the text itself, on one line where a header needs one.
    flat = " ".join(payload.translate({0x2028: " ", 0x85: " "}).split())
    assert flat in message["Subject"]
    assert flat in body_of(message)
    if notice.attachment is not None:
        attached = [p for p in message.walk() if p.get_filename()]
        assert [p.get_content() for p in attached] == [REPORT.decode()]


def test_the_rsvp_report_carries_its_csv_byte_for_byte(notices: EmailNoticeSender) -> None:
    message = sent(notices, NOTICES["rsvp-report"][0])
    assert message.get_content_type() == "multipart/mixed"
    (attached,) = message.iter_attachments()
    assert isinstance(attached, EmailMessage)
    assert attached.get_filename() == "weekly-sync-rsvp.csv"
    assert attached.get_content_type() == "text/csv"
    assert attached.get_content_charset() == "utf-8"
    assert attached.get_payload(decode=True) == REPORT


@pytest.mark.parametrize(
    ("filename", "shown", "content_type"),
    [
        ("../../etc/Réponses « semaine ».CSV", "Réponses « semaine ».CSV", "text/csv"),
        ('x"\r\nBcc: y@z.bin', 'x" Bcc: y@z.bin', "application/octet-stream"),
        ("Ünïcødé-" * 12 + ".csv", ("Ünïcødé-" * 12 + ".csv")[:100], "text/csv"),
        ("...", "attachment", "application/octet-stream"),
    ],
)
def test_an_attachment_keeps_a_safe_name_and_a_type_from_its_extension(
    notices: EmailNoticeSender, filename: str, shown: str, content_type: str
) -> None:
    notice = replace(NOTICES["rsvp-report"][0], attachment=(filename, b"\x00\xff data"))
    message = sent(notices, notice)
    (attached,) = message.iter_attachments()
    assert isinstance(attached, EmailMessage)
    assert attached.get_filename() == shown
    assert attached.get_content_type() == content_type
    assert attached.get_payload(decode=True) == b"\x00\xff data"
    assert set(message.keys()) <= HEADERS | MIME


def test_a_bulk_summary_lists_at_most_fifty_invalid_rows_in_line_order(
    notices: EmailNoticeSender,
) -> None:
    rows = {f"invalid.{line}": f"row {line} has no address" for line in range(120, 0, -2)}
    body = body_of(sent(notices, Notice("bulk-summary", ORGANIZER, INVITE, "Big list", rows)))
    listed = [line for line in body.splitlines() if line.strip().startswith("line ")]
    assert len(listed) == 50
    assert listed[0].strip() == "line 2: row 2 has no address"
    assert listed[-1].strip() == "line 100: row 100 has no address"
    assert "and 10 more" in body


def test_an_operator_template_replaces_the_packaged_one(
    outbox: OutboxFolderMailer, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    (folder / "notices").mkdir(parents=True)
    (folder / "notices" / "created.txt.j2").write_text(
        "{% set subject %}Registered: {{ title }}{% endset %}\nSee {{ invite }} on our portal.\n"
    )
    notices = EmailNoticeSender(outbox, sender=SENDER, domain=DOMAIN, templates=folder)
    created = sent(notices, NOTICES["created"][0])
    assert created["Subject"] == "Registered: Weekly sync"
    assert body_of(created) == f"See {INVITE} on our portal.\n"
    held = sent(notices, NOTICES["held"][0])
    assert f"cis approve {INVITE}" in body_of(held)


def test_an_unknown_kind_is_refused_and_nothing_is_sent() -> None:
    mailer = RecordingMailer()
    notices = EmailNoticeSender(mailer, sender=SENDER, domain=DOMAIN)
    with pytest.raises(ValueError, match="unknown notice kind"):
        notices.send(Notice("../invite", ORGANIZER, INVITE, "Weekly sync"), now=NOW)
    assert mailer.sent == []


@pytest.mark.parametrize(
    "address", ["alice@example.com\r\nBcc: x@y", "alice @example.com", "Alice <alice@x.y>", ""]
)
def test_an_address_that_is_not_a_plain_addr_spec_is_never_sent_to(address: str) -> None:
    mailer = RecordingMailer()
    notices = EmailNoticeSender(mailer, sender=SENDER, domain=DOMAIN)
    with pytest.raises(ValueError, match="not a mail address"):
        notices.send(replace(NOTICES["created"][0], to=address), now=NOW)
    with pytest.raises(ValueError, match="not a mail address"):
        EmailNoticeSender(mailer, sender=address, domain=DOMAIN)
    assert mailer.sent == []


def test_a_domain_that_cannot_end_a_message_id_is_refused() -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        EmailNoticeSender(RecordingMailer(), sender=SENDER, domain="cis.example>\r\nBcc: x@y")


@pytest.mark.parametrize(
    "notice",
    [
        Notice("rejected", ORGANIZER, None, "Weekly sync", {"reason": ""}),
        Notice("counter", ORGANIZER, INVITE, "Weekly sync", {"attendee": "bob@example.com"}),
        Notice("held", ORGANIZER, None, "Weekly sync"),
    ],
)
def test_a_notice_without_the_facts_its_kind_needs_is_refused(notice: Notice) -> None:
    mailer = RecordingMailer()
    with pytest.raises(ValueError, match="needs"):
        EmailNoticeSender(mailer, sender=SENDER, domain=DOMAIN).send(notice, now=NOW)
    assert mailer.sent == []


def test_a_rejection_without_a_title_still_says_what_to_do() -> None:
    mailer = RecordingMailer()
    notices = EmailNoticeSender(mailer, sender=SENDER, domain=DOMAIN)
    notices.send(Notice("rejected", ORGANIZER, facts={"reason": "no calendar found"}), now=NOW)
    message = parse(mailer.sent[0].data)
    assert message["Subject"] == "Your message was not recorded"
    assert "no calendar found" in body_of(message)


def test_the_envelope_matches_the_headers_and_a_delivery_failure_reaches_the_caller() -> None:
    mailer = RecordingMailer()
    notices = EmailNoticeSender(mailer, sender=SENDER, domain=DOMAIN)
    assert notices.send(NOTICES["created"][0], now=NOW) == "recorded #1"
    (mail,) = mailer.sent
    assert (mail.sender, mail.recipient) == (SENDER, ORGANIZER)
    assert parse(mail.data)["Message-ID"] == mail.message_id
    mailer.failure = "421 try later"
    with pytest.raises(TemporaryDeliveryError):
        notices.send(NOTICES["held"][0], now=NOW)
