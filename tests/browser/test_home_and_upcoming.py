"""The organizer's home page and the public upcoming page, in a real browser: upcoming then
past, the search as one types (under the pages' own CSP) and without JavaScript, and the
upcoming page's "send me the invitation" form, keyboard only, with its honeypot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from adapters.mail.outbox import OutboxEntry, OutboxFolderMailer
from tests.api.conftest import SEQ0, invite_ics
from tests.browser.conftest import ADMIN, Site, screenshots, serious_violations
from tests.browser.test_sign_in import ORGANIZER, sign_in_link
from tests.corpus_mail import from_organizer
from tests.driver import driver

VISITOR = "visitor@example.org"


def starts_in(days: int) -> str:
    """Return an iCalendar UTC start ``days`` from now."""
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ")


def recorded(site: Site) -> dict[str, UUID]:
    """Record the organizer's past concert and two events to come; bring the views up."""
    service = driver(site.container)
    raws = {
        "past": SEQ0.read_bytes(),
        "board": invite_ics("board@x", ORGANIZER, starts_in(20), "Board day"),
        "lunch": invite_ics("lunch@x", ORGANIZER, starts_in(2), "Team lunch"),
    }
    made = {}
    for name, raw in raws.items():
        invite = from_organizer(service, raw, now=datetime.now(UTC)).invite
        assert invite is not None
        made[name] = invite
    site.container.projections().run()
    return made


def signed_in(
    page: Page, site: Site, address: str = ORGANIZER, heading: str = "Your invitations"
) -> None:
    """Sign ``page`` in as ``address`` (the organizer) by a mailed link."""
    site.container.sessions().request_link(address, datetime.now(UTC))
    page.goto(sign_in_link(site, address))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text(heading)


def upcoming_url(site: Site, who: str = ORGANIZER) -> str:
    return f"{site.base}/upcoming/{who}?sig={site.container.links().upcoming_signature(who)}"


@pytest.fixture
def no_script_page(browser: Browser, site: Site) -> Iterator[Page]:
    """A page with JavaScript off, its requests kept on this machine."""
    context = browser.new_context(java_script_enabled=False)

    def only_here(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            site.elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    yield context.new_page()
    context.close()


def test_an_organizer_sees_upcoming_then_past_and_the_rows_filter_as_they_type(
    strict_page: Page, page: Page, site: Site
) -> None:
    invites = recorded(site)
    errors: list[str] = []
    strict_page.on("pageerror", lambda error: errors.append(str(error)))
    signed_in(strict_page, site)

    coming = strict_page.locator("section", has=strict_page.locator("#up")).locator("tbody tr")
    gone = strict_page.locator("section", has=strict_page.locator("#past")).locator("tbody tr")
    expect(coming).to_have_count(2)
    expect(coming.nth(0)).to_contain_text("Team lunch")
    expect(coming.nth(1)).to_contain_text("Board day")
    expect(gone).to_have_count(1)
    expect(gone.nth(0)).to_contain_text("the Strokes")
    expect(strict_page.get_by_role("link", name="Board day")).to_have_attribute(
        "href", f"/invites/{invites['board']}"
    )

    search = strict_page.get_by_role("searchbox", name="Search by title")
    search.focus()
    strict_page.keyboard.type("BOARD")
    expect(strict_page.get_by_role("status")).to_have_text(
        "1 invitation shown for \u201cBOARD\u201d"
    )
    expect(strict_page.locator("tr[data-title]:visible")).to_have_count(1)
    expect(strict_page.get_by_role("link", name="Board day")).to_be_visible()
    expect(strict_page.get_by_role("link", name="Team lunch")).to_be_hidden()
    assert errors == []

    signed_in(page, site)
    assert serious_violations(page) == []
    screenshots(page, "home-organizer")
    assert site.elsewhere == []


def test_the_search_works_without_javascript(no_script_page: Page, site: Site) -> None:
    recorded(site)
    signed_in(no_script_page, site)

    no_script_page.get_by_role("searchbox", name="Search by title").fill("strokes")
    no_script_page.keyboard.press("Enter")

    expect(no_script_page).to_have_url(f"{site.base}/?q=strokes")
    expect(no_script_page.locator("tr[data-title]")).to_have_count(1)
    expect(no_script_page.get_by_role("link", name="the Strokes")).to_be_visible()
    expect(no_script_page.get_by_role("status")).to_contain_text("1 invitation with")
    assert site.elsewhere == []


def test_the_search_result_page_has_no_serious_violations(page: Page, site: Site) -> None:
    recorded(site)
    signed_in(page, site)

    page.goto(f"{site.base}/?q=lunch")

    expect(page.locator("tr[data-title]")).to_have_count(1)
    assert serious_violations(page) == []
    screenshots(page, "home-search")


def test_an_admin_sees_the_totals_and_every_invitation(page: Page, site: Site) -> None:
    recorded(site)

    signed_in(page, site, ADMIN, "Every invitation on this server")

    expect(page.locator("main")).to_contain_text("You administer this server: 3 invitations")
    expect(page.locator("tr[data-title]")).to_have_count(3)
    assert serious_violations(page) == []
    screenshots(page, "home-admin")


def test_a_domain_owner_sees_the_domains_invitations_and_its_upcoming_page(
    page: Page, site: Site
) -> None:
    recorded(site)
    owner = "boss@gmail.com"
    site.container.registry().set_domain_owners("gmail.com", [owner], now=datetime.now(UTC))

    signed_in(page, site, owner, "Invitations of gmail.com")

    expect(page.locator("tr[data-title]")).to_have_count(3)
    assert serious_violations(page) == []
    screenshots(page, "home-domain")
    page.get_by_role("link", name="/upcoming/gmail.com").click()
    expect(page.locator("h1")).to_have_text("Upcoming events of gmail.com")
    expect(page.locator("article h2")).to_have_text(["Team lunch", "Board day"])


def test_the_upcoming_page_sends_the_invitation_with_the_keyboard_alone(
    page: Page, site: Site
) -> None:
    invites = recorded(site)

    page.goto(upcoming_url(site))
    expect(page.locator("h1")).to_have_text(f"Upcoming events of {ORGANIZER}")
    expect(page.locator("article h2")).to_have_text(["Team lunch", "Board day"])
    assert serious_violations(page) == []
    screenshots(page, "upcoming")

    page.get_by_role("textbox", name="Your email address").nth(1).focus()
    page.keyboard.type(VISITOR)
    page.keyboard.press("Tab")
    page.keyboard.type("Vera Visitor")
    page.keyboard.press("Tab")  # the honeypot takes no focus: straight to the button
    focused = page.evaluate("() => document.activeElement.textContent")
    assert focused == "Send me the invitation"
    page.keyboard.press("Enter")

    expect(page.locator("body")).to_contain_text(f"on its way to {VISITOR}")
    assert serious_violations(page) == []
    screenshots(page, "upcoming-sent")
    report = driver(site.container).report(str(invites["board"]))
    assert [(row.address, row.origin) for row in report] == [(VISITOR, "landing")]
    assert any(VISITOR in str(entry.to) for entry in _outbox(site))
    assert site.elsewhere == []


def test_a_filled_honeypot_pretends_and_sends_nothing(page: Page, site: Site) -> None:
    invites = recorded(site)
    page.goto(upcoming_url(site))

    event = page.locator("article", has_text="Team lunch")
    event.get_by_role("textbox", name="Your email address").fill("bot@example.org")
    event.locator("input[name=website]").evaluate("field => { field.value = 'http://spam' }")
    event.get_by_role("button", name="Send me the invitation").click()

    expect(page.locator("body")).to_contain_text("on its way to bot@example.org")
    assert driver(site.container).report(str(invites["lunch"])) == []
    assert not any("bot@example.org" in str(entry.to) for entry in _outbox(site))


def test_a_bad_signature_is_a_404(page: Page, site: Site) -> None:
    recorded(site)
    good = site.container.links().upcoming_signature(ORGANIZER)

    answer = page.goto(f"{site.base}/upcoming/{ORGANIZER}?sig=A{good[1:]}B")

    assert answer is not None
    assert answer.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("body")).not_to_contain_text("Team lunch")
    assert serious_violations(page) == []
    screenshots(page, "upcoming-not-found")


def _outbox(site: Site) -> list[OutboxEntry]:
    return list(OutboxFolderMailer(site.container.settings().outbox_path).entries())
