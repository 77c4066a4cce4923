"""The actions on an invite's page, in a real browser: send to one address (keyboard only),
upload a list, preview it, type YES, watch it send, see a reply mailed in by SMTP counted;
approve a held update; cancel with confirmation."""

from __future__ import annotations

import re
import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from adapters.mail.outbox import OutboxFolderMailer
from application.send_types import Recipient
from entrypoints.container import bootstrap
from entrypoints.server import LocalServer
from entrypoints.settings import Settings
from tests.browser.conftest import ADMIN, Site, screenshots, serious_violations
from tests.browser.test_sign_in import ORGANIZER, sign_in_link
from tests.conftest import CORPUS, free_port
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.replies import answer, invitation_calendar

SEQ0 = CORPUS / "update/gcal-selfsent-seq0.ics"
SEQ1 = CORPUS / "update/gcal-selfsent-seq1.ics"


@dataclass
class MailedSite(Site):
    """The running server, with where its SMTP drop box listens."""

    smtp: tuple[str, int] = ("127.0.0.1", 0)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[MailedSite]:
    """The browser tests' site (tests/browser/conftest.py), keeping the drop box's address:
    replies arrive there by SMTP, as from people's mail servers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=tmp_path / "data",
        sender_policy="off",
        parse_budget=0,
        web_base_url=base,
        admins=ADMIN,
    )
    container = bootstrap(settings)
    server = LocalServer(container, http_port=port, smtp_port=0)
    started = server.start()
    try:
        yield MailedSite(base, container, smtp=started.smtp)
    finally:
        server.stop()


def open_invite(page: Page, site: Site, raw: bytes) -> str:
    """Record the invite, sign its organizer in, open its page; return the page's URL."""
    result = from_organizer(driver(site.container), raw, now=datetime.now(UTC))
    site.container.projections().run()
    site.container.sessions().request_link(ORGANIZER, datetime.now(UTC))
    page.goto(sign_in_link(site, ORGANIZER))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your invitations")
    url = f"{site.base}/invites/{result.invite}"
    page.goto(url)
    return url


def checked(page: Page, name: str) -> None:
    """Every page: no serious accessibility finding, and its screenshots."""
    assert serious_violations(page) == []
    screenshots(page, name)


def mail_reply(site: MailedSite, guest: str, partstat: str) -> None:
    """Answer the invitation ``guest`` was sent, by SMTP to the reply address it names."""
    outbox = OutboxFolderMailer(site.container.settings().outbox_path).entries()
    sent = next(e for e in outbox if e.method and guest in e.to)
    calendar = invitation_calendar(sent.path.read_bytes())
    assert calendar is not None
    reply, address = answer(calendar, guest, partstat)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = guest, address, "Accepted"
    message.add_attachment(reply, maintype="text", subtype="calendar", params={"method": "REPLY"})
    wire = message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with smtplib.SMTP(*site.smtp, timeout=10) as smtp:
        smtp.sendmail(guest, [address], wire)


def test_an_organizer_sends_to_one_then_to_a_list_and_sees_a_reply_counted(
    page: Page, site: MailedSite, tmp_path: Path
) -> None:
    url = open_invite(page, site, SEQ0.read_bytes())
    expect(page.get_by_role("heading", name="Actions")).to_be_visible()
    expect(page.get_by_label("Campaign link for Mailchimp")).to_have_value(
        re.compile(r"&address=\*\|EMAIL\|\*&name=\*\|FNAME\|\*$")
    )
    checked(page, "invite-actions")

    # Keyboard only: the address, Tab to the name, Tab to the button, Enter.
    page.get_by_label("Email address", exact=True).focus()
    page.keyboard.type("ann@example.net")
    page.keyboard.press("Tab")
    page.keyboard.type("Ann")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Invitation sent")
    expect(page.get_by_role("status")).to_contain_text("sent to ann@example.net")
    checked(page, "action-sent")

    page.goto(url)
    listed = tmp_path / "guests.csv"
    listed.write_text("email,name\nben@example.net,Ben\nnot an address,Cy\nBEN@example.net,Ben\n")
    page.get_by_label("CSV file").set_input_files(str(listed))
    page.get_by_role("button", name="Preview the list").click()
    expect(page.locator("h1")).to_have_text("Send to this list?")
    invalid = page.get_by_role("table", name="Not sent")
    expect(invalid.get_by_role("row", name=re.compile("3 not an address"))).to_be_visible()
    duplicates = page.get_by_role("table", name="Sent once, as the line they repeat")
    expect(duplicates.get_by_role("row", name=re.compile("4 ben@example.net 2"))).to_be_visible()
    checked(page, "action-preview")

    page.get_by_label(re.compile("Type YES")).fill("yep")
    page.get_by_role("button", name="Send to the list").click()
    expect(page.get_by_role("alert")).to_contain_text("type YES")
    checked(page, "action-preview-error")
    page.get_by_label(re.compile("Type YES")).fill("YES")
    page.get_by_role("button", name="Send to the list").click()
    expect(page.locator("h1")).to_have_text("List sent")
    expect(page.get_by_role("table", name="Every row")).to_contain_text("ben@example.net")
    checked(page, "action-list-sent")

    page.get_by_role("link", name="Follow the sending's progress").click()
    expect(page.locator(".action-sent dd")).to_have_text("2")
    expect(page.locator(".action-pending dd")).to_have_text("0")
    checked(page, "action-sending")

    mail_reply(site, "ben@example.net", "ACCEPTED")
    deadline = time.monotonic() + 15
    while "accepted: 1," not in answers_described(page, url, site):
        assert time.monotonic() < deadline, "the reply was never counted"
        time.sleep(0.3)
    expect(page.get_by_role("img", name="Answers by status")).to_be_visible()
    checked(page, "invite-answered")
    assert site.elsewhere == []


def answers_described(page: Page, url: str, site: Site) -> str:
    """Bring the views up to date, reload the invite page, and return its answers chart's
    numbers in words."""
    site.container.projections().run()
    page.goto(url)
    return page.locator("#answers-desc").text_content() or ""


def test_an_organizer_approves_a_held_update_then_cancels_the_event(
    page: Page, site: MailedSite
) -> None:
    now = datetime.now(UTC)
    site.container.registry().review(ORGANIZER, True, now=now)
    url = open_invite(page, site, SEQ0.read_bytes())
    invite = url.rsplit("/", 1)[1]
    site.container.outbound().send(invite, [Recipient("ann@example.net")], now=now)
    from_organizer(driver(site.container), SEQ1.read_bytes(), now=datetime.now(UTC))
    site.container.projections().run()

    page.goto(url)
    page.get_by_role("link", name="Review the held update").click()
    changes = page.get_by_role("table", name="What changes")
    expect(
        changes.get_by_role("row", name=re.compile("Where Olympia Hall.*Le Zenith"))
    ).to_be_visible()
    checked(page, "action-approve")
    page.get_by_role("button", name="Approve and send the update").click()
    expect(page.locator("h1")).to_have_text("Update approved")
    checked(page, "action-approved")
    page.goto(url)
    expect(page.get_by_role("link", name="Review the held update")).to_have_count(0)

    page.get_by_role("link", name="Cancel the event…").click()
    expect(page.locator("main")).to_contain_text(
        "This tells every recipient the event is cancelled"
    )
    checked(page, "action-cancel")
    page.get_by_role("button", name="Cancel the event for everyone").click()
    expect(page.locator("h1")).to_have_text("Event cancelled")
    checked(page, "action-cancelled")
    assert site.container.front_doors().reading.show(invite).status == "cancelled"
    assert site.elsewhere == []
