"""An organizer filters an invitation's attendees by status and address, keyboard only."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from application.send_types import Recipient
from tests.browser.conftest import Site, screenshots, serious_violations
from tests.browser.test_sign_in import ORGANIZER, sign_in_link
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver


def test_an_organizer_filters_the_attendees_by_status_and_address(page: Page, site: Site) -> None:
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    result = from_organizer(driver(site.container), raw, now=datetime.now(UTC))
    guests = [Recipient(f"guest{i}@example.net", None, "bulk") for i in range(3)]
    guests.append(Recipient("zed@example.org", None, "vip"))
    site.container.outbound().send(str(result.invite), guests, now=datetime.now(UTC))
    site.container.projections().run()
    site.container.sessions().request_link(ORGANIZER, datetime.now(UTC))
    page.goto(sign_in_link(site, ORGANIZER))
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{site.base}/invites/{result.invite}")
    table = page.locator("table.attendees")
    expect(table).to_contain_text("zed@example.org")

    page.get_by_label("Status", exact=True).select_option("no answer")
    search = page.get_by_label("Address starts with")
    search.focus()
    page.keyboard.type("guest1")
    page.keyboard.press("Enter")

    expect(table).to_contain_text("guest1@example.net")
    expect(table).not_to_contain_text("guest0@example.net")
    expect(table).not_to_contain_text("zed@example.org")
    expect(page.get_by_label("Status", exact=True)).to_have_value("no answer")
    assert serious_violations(page) == []
    screenshots(page, "invite-attendees-filtered")

    page.get_by_label("Status", exact=True).select_option("accepted")
    page.get_by_role("button", name="Filter").press("Enter")
    expect(page.get_by_text("No one invited matches these filters.")).to_be_visible()
    page.get_by_role("link", name="Show everyone").press("Enter")
    expect(table).to_contain_text("zed@example.org")
    assert site.elsewhere == []
