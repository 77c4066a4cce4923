"""An organizer opens one invitation's page from home, keyboard only, in a real browser."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from application.send_types import Recipient
from tests.browser.conftest import Site, screenshots, serious_violations
from tests.browser.test_sign_in import ORGANIZER, sign_in_link
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver


def test_an_organizer_opens_an_invite_page_and_sees_its_chart_and_table(
    page: Page, site: Site
) -> None:
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    result = from_organizer(driver(site.container), raw, now=datetime.now(UTC))
    recipients = [Recipient(f"guest{i}@example.net", f"Guest {i}", "bulk") for i in range(3)]
    site.container.outbound().send(str(result.invite), recipients, now=datetime.now(UTC))
    site.container.projections().run()
    site.container.sessions().request_link(ORGANIZER, datetime.now(UTC))
    page.goto(sign_in_link(site, ORGANIZER))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Your invitations")

    link = page.get_by_role("link", name="the Strokes")
    link.focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{site.base}/invites/{result.invite}")
    expect(page.locator("h1")).to_contain_text("the Strokes")
    chart = page.get_by_role("img", name="Answers by status")
    expect(chart).to_be_visible()
    expect(page.locator("table.attendees")).to_be_visible()
    expect(page.locator("table.attendees")).to_contain_text("guest2@example.net")
    expect(page.locator(".history")).to_contain_text("Created")
    assert serious_violations(page) == []
    screenshots(page, "invite")
    assert site.elsewhere == []
