"""Only the organizer speaks for the organizer, over real SMTP: the drop box on 127.0.0.1.

Messages are signed by dkimpy with keys made for this run; SPF, DMARC and DKIM key records
are served by a zone resolver wired through the composition root, never by the network's
DNS. Each case goes in through smtplib, as a mail server would hand it over.
"""

from __future__ import annotations

import hashlib
import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from dependency_injector import providers
from icalendar import Calendar, Event, vCalAddress

from adapters.mail.dropbox import DropBox
from application.send_types import Recipient
from domain.authentication import SenderPolicy
from domain.identity import received_message_id
from domain.indexes import InboundMessage
from entrypoints.container import Container, bootstrap
from entrypoints.server import dropbox_for
from entrypoints.settings import Settings
from tests.driver import Driver, driver
from tests.invite_mail import ALICE, calendar, email_of
from tests.mail_auth import DMARC, DMARC_STRICT, SPF_LOCALHOST, SigningDomain, zone

DOMAIN = "invites.example"
MALLORY = "mallory@evil.example"
RELAY = "noreply@insideicloud.icloud.com"
# Signed by strict.example, whose DMARC record asks for exact (strict) alignment.
CAROL = "carol@mail.strict.example"
TRUSTED = "mx.trusted.example"
NOW = datetime.now(UTC)
EXAMPLE = SigningDomain("example.com")
STRICT = SigningDomain("strict.example")
ELSEWHERE = SigningDomain("mailer.example.net")
EVIL = SigningDomain("evil.example")
ICLOUD = SigningDomain("icloud.com")


@pytest.fixture
def container(tmp_path: Path) -> Container:
    """A server under policy dmarc whose DNS is a zone of this run's keys and records."""
    settings = Settings(
        data_dir=tmp_path,
        mail_domain=DOMAIN,
        sender_policy="dmarc",
        trusted_authserv_ids=TRUSTED,
    )
    built = bootstrap(settings)
    resolver = zone(
        EXAMPLE,
        STRICT,
        ELSEWHERE,
        EVIL,
        ICLOUD,
        EXAMPLE_ORG,
        spf={"example.com": SPF_LOCALHOST},
        dmarc={"example.com": DMARC, "strict.example": DMARC_STRICT},
    )
    built.resolver.override(providers.Object(resolver))
    return built


@pytest.fixture
def dropbox(container: Container) -> Iterator[DropBox]:
    with dropbox_for(container) as box:
        yield box


def deliver(box: DropBox, raw: bytes, *, mail_from: str = "", to: str = "create") -> None:
    """Hand ``raw`` to the drop box over SMTP (``mail_from`` "" is the null sender)."""
    with smtplib.SMTP(box.host, box.port, local_hostname="client.test", timeout=10) as smtp:
        assert smtp.sendmail(mail_from, [f"{to}@{DOMAIN}"], raw) == {}


def outcome(service: Driver, raw: bytes) -> str:
    """Return what became of ``raw``, from its receipt."""
    receipt = service.load(InboundMessage, received_message_id(hashlib.sha256(raw).hexdigest()))
    assert receipt is not None, "the drop box took the message but no receipt was saved"
    return str(receipt.outcome)


BARE = calendar()
CASES = {
    "aligned DKIM": (EXAMPLE.sign(email_of(BARE, ALICE)), MALLORY, "created"),
    "aligned SPF": (email_of(BARE, ALICE), ALICE, "created"),
    "DKIM of another domain": (ELSEWHERE.sign(email_of(BARE, ALICE)), MALLORY, "rejected"),
    "no signature": (email_of(BARE, ALICE), MALLORY, "rejected"),
    "broken body hash": (
        EXAMPLE.sign(email_of(BARE, ALICE)).replace(b"Room 4", b"Room 5"),
        MALLORY,
        "rejected",
    ),
    "forged Authentication-Results": (
        email_of(
            BARE,
            ALICE,
            extra=(
                "Authentication-Results: evil.example; dkim=pass header.d=example.com; "
                "dmarc=pass header.from=example.com",
            ),
        ),
        MALLORY,
        "rejected",
    ),
    "trusted Authentication-Results": (
        email_of(
            BARE,
            ALICE,
            extra=(
                f"Authentication-Results: {TRUSTED}; dkim=pass header.d=example.com; "
                "spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com",
            ),
        ),
        MALLORY,
        "created",
    ),
    "no From": (email_of(BARE), "", "rejected"),
    "two From": (EXAMPLE.sign(email_of(BARE, ALICE, MALLORY)), ALICE, "rejected"),
    "null sender": (email_of(BARE, ALICE), "", "rejected"),
    "iCloud relay signed by icloud.com": (ICLOUD.sign(email_of(BARE, RELAY)), "", "created"),
    "relay From without the relay's DKIM": (email_of(BARE, RELAY), "", "rejected"),
    "strict DMARC, subdomain signature": (
        STRICT.sign(
            email_of(calendar(organizer="carol@mail.strict.example"), "carol@mail.strict.example")
        ),
        "",
        "rejected",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_kind_of_sender_gets_the_expected_outcome(
    case: str, container: Container, dropbox: DropBox
) -> None:
    raw, mail_from, expected = CASES[case]
    deliver(dropbox, raw, mail_from=mail_from)
    assert outcome(driver(container), raw) == expected


def test_the_private_address_right_and_wrong(container: Container, dropbox: DropBox) -> None:
    service = driver(container)
    service.registry.set_domain_policy(
        "example.com", SenderPolicy.DMARC_OR_PRIVATE, now=datetime.now(UTC)
    )
    secret = service.registry.issue_private_address(ALICE, now=datetime.now(UTC))
    wrong = email_of(calendar(uid="wrong-1@example.com"), ALICE)
    deliver(dropbox, wrong, mail_from=MALLORY, to="create+" + "a" * 26)
    right = email_of(calendar(uid="right-1@example.com"), ALICE)
    deliver(dropbox, right, mail_from=MALLORY, to=f"create+{secret}")
    assert (outcome(service, wrong), outcome(service, right)) == ("rejected", "created")


def sent_methods(service: Driver) -> list[str]:
    """Return the METHOD of every invitation the server mailed, in order."""
    return [entry.method for entry in service.outbox()]


def test_a_forged_update_or_cancel_reaches_no_recipient(
    container: Container, dropbox: DropBox
) -> None:
    service = driver(container)
    deliver(dropbox, EXAMPLE.sign(email_of(BARE, ALICE)), mail_from=ALICE)
    [invite] = service.invites()
    service.send(str(invite.invite), [Recipient("guest@example.org", None, "vip")], now=NOW)
    phishing = calendar(sequence=1, location="https://phish.example/login")
    forgeries = [
        email_of(phishing, ALICE),  # a plain forged From
        EVIL.sign(email_of(calendar(sequence=2, sent_by=MALLORY), MALLORY)),  # own SENT-BY
        email_of(phishing),  # no From, null sender
        email_of(phishing, "not an address"),
        email_of(phishing, RELAY),  # the relay's From, without the relay's signature
        email_of(phishing, ALICE, MALLORY),  # two From headers, the victim's first
        EVIL.sign(email_of(phishing, f"{ALICE} <{MALLORY}>")),
        email_of(calendar("CANCEL", sequence=3), ALICE),
    ]
    for forged in forgeries:
        deliver(dropbox, forged, mail_from="")
    assert [outcome(service, f) for f in forgeries] == ["rejected"] * len(forgeries)
    assert service.show(str(invite.invite)).location == "Room 4"
    assert service.show(str(invite.invite)).status == "confirmed"
    assert sent_methods(service) == ["REQUEST"]


def mail_to(box: str, sender: str, subject: str, text: str) -> EmailMessage:
    """Return a plain email from ``sender`` to one of the drop box's mailboxes."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"{box}@{DOMAIN}"
    message["Subject"] = subject
    message["Date"] = "Fri, 20 Nov 2026 09:00:00 +0000"
    message["Message-ID"] = f"<{hashlib.sha256(text.encode()).hexdigest()[:16]}@example.com>"
    message.set_content(text)
    return message


def wire(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def recipient_list(sender: str, invite: str, rows: str) -> bytes:
    message = mail_to("bulk", sender, f"Send {invite}", "The list is attached.")
    message.add_attachment(rows.encode(), maintype="text", subtype="csv", filename="list.csv")
    return wire(message)


def test_a_forged_bulk_list_sends_nothing(container: Container, dropbox: DropBox) -> None:
    service = driver(container)
    deliver(dropbox, EXAMPLE.sign(email_of(BARE, ALICE)), mail_from=ALICE)
    [invite] = service.invites()
    forged = recipient_list(ALICE, str(invite.invite), "email\nvictim1@example.org\n")
    deliver(dropbox, forged, mail_from=MALLORY, to="bulk")
    signed = EXAMPLE.sign(recipient_list(ALICE, str(invite.invite), "email\nann@example.org\n"))
    deliver(dropbox, signed, mail_from=MALLORY, to="bulk")
    assert (outcome(service, forged), outcome(service, signed)) == ("rejected", "bulk")
    assert [entry.to for entry in service.outbox()] == ["ann@example.org"]


def notices_to(tmp_path: Path, address: str) -> list[bytes]:
    """Return every mail the outbox mailer wrote to ``address``."""
    folder = tmp_path / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.is_dir() else []
    return [f.read_bytes() for f in files if f"To: {address}".encode() in f.read_bytes()]


def test_no_backscatter_to_forged_senders(
    tmp_path: Path, container: Container, dropbox: DropBox
) -> None:
    forged = wire(mail_to("create", "victim@example.org", "Buy now at spam.example", "hi"))
    deliver(dropbox, forged, mail_from=MALLORY)
    genuine = EXAMPLE.sign(wire(mail_to("create", ALICE, "Buy now at spam.example", "hi")))
    deliver(dropbox, genuine, mail_from=MALLORY)
    assert notices_to(tmp_path, "victim@example.org") == []
    [notice] = notices_to(tmp_path, ALICE)
    assert b"spam.example" not in notice


def test_a_forged_reply_to_the_plain_mailbox_cannot_lock_an_answer(
    container: Container, dropbox: DropBox
) -> None:
    service = driver(container)
    deliver(dropbox, EXAMPLE.sign(email_of(BARE, ALICE)), mail_from=ALICE)
    forged = reply_from(MALLORY, "bob@example.org", "DECLINED", datetime(2099, 1, 1, tzinfo=UTC))
    deliver(dropbox, EVIL.sign(forged), mail_from=MALLORY, to="rsvp")
    own = reply_from("bob@example.org", "bob@example.org", "ACCEPTED", datetime.now(UTC))
    deliver(dropbox, EXAMPLE_ORG.sign(own), mail_from="bob@example.org", to="rsvp")
    assert (outcome(service, EVIL.sign(forged)), outcome(service, EXAMPLE_ORG.sign(own))) == (
        "rejected",
        "rsvp",
    )
    [invite] = service.invites()
    [bob] = service.show(str(invite.invite)).attendees
    assert bob.partstat == "ACCEPTED"


EXAMPLE_ORG = SigningDomain("example.org")


def reply_from(sender: str, attendee: str, partstat: str, stamp: datetime) -> bytes:
    """Return an attendee's REPLY email for the planning invite, From ``sender``."""
    cal = Calendar()
    cal.add("prodid", "-//Tests//Sender authentication//EN")
    cal.add("version", "2.0")
    cal.add("method", "REPLY")
    event = Event()
    event.add("uid", "planning-1@example.com")
    event.add("dtstamp", stamp)
    event.add("sequence", 0)
    event.add("organizer", vCalAddress(f"mailto:{ALICE}"))
    event.add("attendee", vCalAddress(f"mailto:{attendee}"), parameters={"PARTSTAT": partstat})
    cal.add_component(event)
    return email_of(cal.to_ical(), sender, method="REPLY")
