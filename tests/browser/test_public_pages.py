"""What a recipient opens from an invitation, in a real browser: RSVP pages, landing
pages, the calendar file link; and the API docs, which must work with no internet."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from playwright.sync_api import Page, expect

from application.send_types import Recipient
from tests.browser.conftest import Site, screenshots, serious_violations
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

GUEST = "ann@example.org"


def sent_invite(site: Site) -> UUID:
    """Record the Strokes concert and send it to :data:`GUEST`; return the invite id."""
    service = driver(site.container)
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    invite = from_organizer(service, raw, now=datetime.now(UTC)).invite
    assert invite is not None
    service.send(str(invite), [Recipient(GUEST)], now=datetime.now(UTC))
    return invite


def rsvp_url(site: Site, invite: UUID, answer: str) -> str:
    token = site.container.links().rsvp.token(invite, GUEST, 0, datetime.now(UTC))
    return f"{site.base}/v1/rsvp/{token}?answer={answer}"


def tab_to(page: Page, name: str, most: int = 20) -> None:
    """Press Tab until the control named ``name`` has the focus (keyboard only)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '')"
        )
        if name.lower() in str(focused).lower():
            return
    raise AssertionError(f"no control named {name!r} in the first {most} tab stops")


def test_an_rsvp_link_is_answered_with_the_keyboard_alone(page: Page, site: Site) -> None:
    invite = sent_invite(site)

    page.goto(rsvp_url(site, invite, "accepted"))
    expect(page.locator("body")).to_contain_text("the Strokes")
    assert serious_violations(page) == []
    screenshots(page, "rsvp-question")
    tab_to(page, "accept")
    page.keyboard.press("Enter")

    expect(page.locator("body")).to_contain_text("We recorded that you accept")
    assert serious_violations(page) == []
    screenshots(page, "rsvp-recorded")
    statuses = [row.status for row in driver(site.container).report(str(invite))]
    assert statuses == ["accepted"]
    assert site.elsewhere == []


def test_a_landing_page_request_sends_the_invitation(page: Page, site: Site) -> None:
    invite = sent_invite(site)
    signature = site.container.links().landing_signature(invite)

    page.goto(f"{site.base}/v1/landing/{invite}?sig={signature}&address=bob@example.org")

    expect(page.locator("body")).to_contain_text("on its way to bob@example.org")
    assert serious_violations(page) == []
    screenshots(page, "landing-sent")
    recipients = {row.address for row in driver(site.container).report(str(invite))}
    assert recipients == {GUEST, "bob@example.org"}
    assert site.elsewhere == []


def test_an_unknown_link_says_so_plainly(page: Page, site: Site) -> None:
    page.goto(f"{site.base}/v1/rsvp/not-a-token?answer=accepted")

    expect(page.locator("body")).to_contain_text("That link does not work")
    assert serious_violations(page) == []
    assert site.elsewhere == []


def test_the_api_docs_render_with_no_internet(strict_page: Page, site: Site) -> None:
    errors: list[str] = []
    strict_page.on("pageerror", lambda error: errors.append(str(error)))

    strict_page.goto(f"{site.base}/v1/docs")
    expect(strict_page.locator(".swagger-ui .info .title")).to_contain_text(
        "Calendar Invite Server"
    )
    screenshots(strict_page, "api-docs")
    strict_page.goto(f"{site.base}/v1/redoc")
    expect(strict_page.locator("redoc, #redoc, [role=main]").first).to_contain_text(
        "Calendar Invite Server"
    )

    assert errors == []
    assert site.elsewhere == []
