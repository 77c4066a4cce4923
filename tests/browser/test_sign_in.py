"""Signing in to the web app by the link in one's mail, in a real browser, keyboard only."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from adapters.mail.outbox import OutboxFolderMailer
from tests.browser.conftest import Site, screenshots, serious_violations
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

ORGANIZER = "inboxapptest@gmail.com"  # the ORGANIZER of update/gcal-selfsent-seq0.ics


def sign_in_link(site: Site, to: str) -> str:
    """Return the newest sign-in link in the outbox mailed to ``to``."""
    found: list[str] = []
    for entry in OutboxFolderMailer(site.container.settings().outbox_path).entries():
        message = email.message_from_bytes(entry.path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        if to in str(message["To"]) and body is not None:
            found += re.findall(re.escape(site.base) + r"/sign-in/[\w-]+", body.get_content())
    assert found, f"no sign-in link was mailed to {to}"
    return found[-1]


def test_an_organizer_signs_in_by_the_mailed_link_sees_their_invite_and_signs_out(
    page: Page, site: Site
) -> None:
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    from_organizer(driver(site.container), raw, now=datetime.now(UTC))
    site.container.projections().run()

    page.goto(site.base + "/")
    expect(page).to_have_url(site.base + "/sign-in")
    assert serious_violations(page) == []
    screenshots(page, "sign-in")
    page.keyboard.press("Tab")  # the brand link
    page.keyboard.press("Tab")
    page.keyboard.type(ORGANIZER)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Check your mail")
    assert serious_violations(page) == []

    page.goto(sign_in_link(site, ORGANIZER))
    expect(page.locator("h1")).to_contain_text(ORGANIZER)
    page.get_by_role("button", name="Sign in").focus()
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Your invitations")
    expect(page.locator("table")).to_contain_text("the Strokes")
    assert serious_violations(page) == []
    screenshots(page, "home")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "cis_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(site.base + "/sign-in")
    page.goto(site.base + "/")
    expect(page).to_have_url(site.base + "/sign-in")
    assert site.elsewhere == []


def test_a_used_link_does_not_sign_in_again(page: Page, site: Site) -> None:
    site.container.registry().allow(ORGANIZER, now=datetime.now(UTC))
    site.container.sessions().request_link(ORGANIZER, datetime.now(UTC))
    link = sign_in_link(site, ORGANIZER)
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your invitations")

    page.goto(link)
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("body")).to_contain_text("used already")
    assert serious_violations(page) == []
