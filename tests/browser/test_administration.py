"""The Administration in a real browser: an admin manages an organizer and an API key, a
domain's owner reads their domain and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from playwright.sync_api import Page, expect

from application.send_types import Recipient
from tests.api.conftest import invite_ics
from tests.browser.conftest import ADMIN, Site, screenshots, serious_violations
from tests.browser.test_sign_in import sign_in_link
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

ALICE = "alice@example.com"
OWNER = "ops@example.com"


def invites(site: Site) -> tuple[UUID, UUID]:
    """Record the corpus invite (gmail.com) and one of example.com sent to three people."""
    now = datetime.now(UTC)
    gmail = from_organizer(
        driver(site.container), (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=now
    ).invite
    raw = invite_ics("board-1", ALICE, "20300101T100000Z", "Board meeting")
    ours = from_organizer(driver(site.container), raw, now=now).invite
    assert gmail is not None
    assert ours is not None
    people = [Recipient(f"guest{i}@example.net", f"Guest {i}", "bulk") for i in range(3)]
    site.container.outbound().send(str(ours), people, now=now)
    site.container.projections().run()
    return gmail, ours


def sign_in(page: Page, site: Site, address: str) -> None:
    site.container.sessions().request_link(address, datetime.now(UTC))
    page.goto(sign_in_link(site, address))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Administration")).to_be_visible()


def checked(page: Page, name: str) -> None:
    assert serious_violations(page) == []
    screenshots(page, name)


def test_an_admin_suspends_and_reinstates_an_organizer_keyboard_only(
    page: Page, site: Site
) -> None:
    invites(site)
    sign_in(page, site, ADMIN)

    page.get_by_role("link", name="Administration").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Administration")
    table = page.locator("table.admin-table")
    expect(table).to_contain_text(ALICE)
    expect(table.locator("tr", has_text=ALICE)).to_contain_text("Allowed")
    checked(page, "admin-organizers")

    page.get_by_role("link", name=ALICE).focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text(ALICE)
    checked(page, "admin-organizer")
    page.get_by_label("Why (the organizer is told)").focus()
    page.keyboard.type("Too many complaints")
    page.keyboard.press("Tab")  # the Suspend button
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("The organizer is suspended")
    expect(page.locator(".facts")).to_contain_text("Suspended: Too many complaints")
    checked(page, "admin-organizer-suspended")
    page.get_by_role("button", name="Reinstate").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("allowed again")
    expect(page.get_by_role("button", name="Suspend")).to_be_visible()

    page.get_by_role("link", name="Sending").click()
    expect(page.locator("h1")).to_have_text("Sending")
    expect(page.locator(".admin-health")).to_contain_text("Sent")
    checked(page, "admin-sending")
    page.get_by_role("link", name="Invitations").click()
    expect(page.locator("table.admin-table")).to_contain_text("Board meeting")
    checked(page, "admin-invites")
    assert site.elsewhere == []


def test_an_admin_creates_an_api_key_sees_it_once_and_revokes_it(page: Page, site: Site) -> None:
    sign_in(page, site, ADMIN)
    page.goto(site.base + "/admin/keys")
    expect(page.locator("h1")).to_have_text("API keys")
    checked(page, "admin-keys")

    page.get_by_label("The key reads").select_option("domain")
    page.get_by_label("Organizer's address or domain").fill("example.com")
    page.get_by_label("Label: who or what uses it").fill("the reports job")
    page.get_by_role("button", name="Create the key").click()

    expect(page.get_by_role("alert")).to_contain_text("never shown again")
    token = page.locator("#token").input_value()
    assert token.startswith("cis_")
    checked(page, "admin-key-created")

    page.goto(site.base + "/admin/keys")  # the token's page, opened again, is the list
    assert token not in page.content()
    key_id = token[4:12]
    row = page.locator("tr", has_text=key_id)
    expect(row).to_contain_text("Active")
    row.get_by_label("Reason").fill("rotated")
    row.get_by_role("button", name=f"Revoke key {key_id}").click()

    expect(page.get_by_role("status")).to_have_text("The key is revoked.")
    expect(page.locator("tr", has_text=key_id)).to_contain_text("Revoked")
    expect(page.locator("tr", has_text=key_id)).to_contain_text("rotated")
    assert token not in page.content()
    checked(page, "admin-keys-revoked")
    assert site.elsewhere == []


def test_a_domain_owner_reads_their_domain_only(page: Page, site: Site) -> None:
    gmail, ours = invites(site)
    site.container.registry().set_domain_owners("example.com", [OWNER], now=datetime.now(UTC))
    sign_in(page, site, OWNER)

    page.get_by_role("link", name="Administration").click()
    expect(page.locator("h1")).to_have_text("Administration of example.com")
    expect(page.locator("table.admin-table")).to_contain_text(ALICE)
    expect(page.locator("table.admin-table")).not_to_contain_text("gmail.com")
    expect(page.get_by_role("link", name="API keys")).to_have_count(0)
    checked(page, "owner-organizers")

    page.get_by_role("link", name="Invitations").click()
    expect(page.locator("h1")).to_have_text("Invitations of example.com")
    checked(page, "owner-invites")
    page.get_by_role("link", name="Board meeting").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.base}/invites/{ours}")
    attendees = page.locator("table.attendees")
    expect(attendees).to_contain_text("g***@example.net")
    expect(attendees).not_to_contain_text("guest1@example.net")
    expect(attendees).not_to_contain_text("Guest 1")
    checked(page, "owner-invite")

    answer = page.goto(f"{site.base}/invites/{gmail}")
    assert answer is not None
    assert answer.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    checked(page, "owner-not-found")
    answer = page.goto(f"{site.base}/admin/organizers/inboxapptest@gmail.com")
    assert answer is not None
    assert answer.status == 404
    assert site.elsewhere == []


def test_an_admin_suppresses_an_address_from_the_suppressions_page(page: Page, site: Site) -> None:
    invites(site)
    sign_in(page, site, ADMIN)
    page.goto(site.base + "/admin/suppressions")
    expect(page.locator("h1")).to_have_text("Suppressions")

    page.get_by_label("Address", exact=True).fill("gone@example.net")
    page.get_by_label("Address", exact=True).press("Enter")

    expect(page.get_by_role("status")).to_have_text("The address is suppressed.")
    expect(page.locator("table.admin-table")).to_contain_text("gone@example.net")
    expect(page.locator("table.admin-table")).to_contain_text("Every organizer")
    checked(page, "admin-suppressions")
    assert site.elsewhere == []
