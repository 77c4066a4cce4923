"""Add-to-calendar links in a real browser: the landing page lists them and its redirect
leads to exactly the calendar's own page; the invite page's copy buttons (copy.js) put a link
on the clipboard."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from playwright.sync_api import Page, expect

from application.links.calendar_links import Provider
from tests.browser.conftest import Site, screenshots, serious_violations
from tests.browser.test_public_pages import sent_invite
from tests.browser.test_sign_in import ORGANIZER, sign_in_link


def test_a_landing_page_visitor_adds_the_event_to_google_calendar(page: Page, site: Site) -> None:
    invite = sent_invite(site)
    links = site.container.links()
    here = f"{site.base}/v1/landing/{invite}?sig={quote(links.landing_signature(invite), safe='')}"
    google = links.add_links(invite, more=here)[Provider.GOOGLE]

    page.goto(here)
    expect(page.locator("h1")).to_have_text("the Strokes")
    for name in ("Google Calendar", "Outlook.com", "Office 365", "Yahoo Calendar"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("heading", name="Get updates by email")).to_be_visible()
    assert serious_violations(page) == []
    screenshots(page, "landing-page")
    # Playwright's routes see no redirected request: following the link itself would leave
    # the machine. The browser context's own request, cookies and all, stops at the 302.
    href = page.get_by_role("link", name="Google Calendar").get_attribute("href")
    assert href is not None
    answer = page.request.get(href, max_redirects=0)

    assert answer.status == 302
    assert answer.headers["location"] == google
    assert site.elsewhere == []
    site.container.projections().run()
    statistics = site.container.reading().views.statistics(invite)
    assert statistics is not None
    assert statistics["added_via_link"] == {"google": 1}
    assert statistics["invited"] == 1  # the one guest it was sent to


def test_the_invite_page_copies_an_add_link(strict_page: Page, site: Site) -> None:
    # Under the page's own Content-Security-Policy: copy.js must run as people's browsers do.
    page = strict_page
    invite = sent_invite(site)
    site.container.projections().run()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base)
    site.container.sessions().request_link(ORGANIZER, datetime.now(UTC))
    page.goto(sign_in_link(site, ORGANIZER))
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{site.base}/invites/{invite}")

    button = page.get_by_role("button", name="Copy Add to Google Calendar")
    expect(button).to_be_visible()  # copy.js shows the buttons it serves
    button.focus()
    page.keyboard.press("Enter")

    expect(page.locator("#copy-status")).to_have_text("Add to Google Calendar copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.locator("#link-add-google").input_value()
    assert copied.startswith(f"{site.base}/v1/landing/{invite}/add/google?sig=")
    assert site.elsewhere == []
