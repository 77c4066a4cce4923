"""The unsubscribe page a recipient reaches from an invitation's List-Unsubscribe URL, in a
real browser: it asks, and only its button (reached with the keyboard) unsubscribes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy

from playwright.sync_api import Page, expect

from adapters.mail.outbox import OutboxFolderMailer
from application.send_types import Recipient
from tests.browser.conftest import Site, screenshots, serious_violations
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

ANN = "ann@example.org"
ORGANIZER = "inboxapptest@gmail.com"  # the corpus invite's organizer


def _unsubscribe_url(site: Site) -> str:
    service = driver(site.container)
    now = datetime.now(UTC)
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    invite = from_organizer(service, raw, now=now)
    service.send(str(invite.invite), [Recipient(ANN, origin="bulk")], now=now)
    outbox = site.container.settings().outbox_path
    (entry,) = [e for e in OutboxFolderMailer(outbox).entries() if ANN in e.to]
    message = message_from_bytes(entry.path.read_bytes(), policy=policy.default)
    found = re.search(r"<(https?://[^>]+)>", str(message["List-Unsubscribe"]))
    assert found is not None
    return found.group(1)


def test_the_page_asks_and_its_button_unsubscribes_from_everyone(page: Page, site: Site) -> None:
    url = _unsubscribe_url(site)
    assert url.startswith(site.base + "/v1/unsubscribe/")
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop these invitations?")
    expect(page.get_by_text(ORGANIZER).first).to_be_visible()
    assert serious_violations(page) == []
    screenshots(page, "unsubscribe")
    suppressions = site.container.front_doors().outbound.suppressions
    assert suppressions.list() == []  # the GET asked; nothing recorded

    page.get_by_role("button", name="Unsubscribe from every organizer").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribed")
    expect(page.get_by_text("every organizer")).to_be_visible()
    assert serious_violations(page) == []
    screenshots(page, "unsubscribed")
    assert [(s.address, s.scope) for s in suppressions.list()] == [(ANN, "all")]
    assert site.elsewhere == []


def test_the_page_works_under_its_own_policy(strict_page: Page, site: Site) -> None:
    strict_page.goto(_unsubscribe_url(site))
    strict_page.get_by_role("button", name=f"Unsubscribe from {ORGANIZER}").click()
    expect(strict_page.get_by_role("heading", level=1)).to_have_text("Unsubscribed")
    suppressions = site.container.front_doors().outbound.suppressions
    assert [(s.address, s.scope) for s in suppressions.list()] == [(ANN, ORGANIZER)]
