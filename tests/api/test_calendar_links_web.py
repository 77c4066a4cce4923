"""The dashboard's copy menu on the invite page: the add-to-calendar links, their copy
buttons (the app's own script), and the "added via link" chart they feed."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

from tests.api.test_web_invite_page import (
    ORGANIZER,
    corpus_invite,
    new_container,
    signed_in,
)

CALENDARS = ("google", "outlook", "office365", "yahoo", "ics")


def copied_links(text: str) -> dict[str, str]:
    """Return the copy menu's add links by calendar, as the text boxes hold them."""
    found = re.findall(r'<textarea id="link-add-(\w+)"[^>]*>([^<]*)</textarea>', text)
    return {key: html.unescape(url) for key, url in found}


def test_the_copy_menu_has_a_counted_add_link_per_calendar(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    client = signed_in(container, ORGANIZER)

    answer = client.get(f"/invites/{invite}")

    assert answer.status_code == 200
    links = copied_links(answer.text)
    assert set(links) == set(CALENDARS)
    for calendar, url in links.items():
        assert urlsplit(url).path == f"/v1/landing/{invite}/add/{calendar}"
        assert f'data-copy="link-add-{calendar}" hidden>Copy' in answer.text
    for label in ("Add to Google Calendar", "Add to Outlook.com", "Add to Office 365"):
        assert label in answer.text
    # The copy buttons are the app's own script file: no inline code, no other origin.
    assert '<script src="/static/copy.js" defer></script>' in answer.text
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert client.get("/static/copy.js").status_code == 200


def test_a_copied_link_leads_to_the_calendar_and_shows_in_the_chart(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    client = signed_in(container, ORGANIZER)
    links = copied_links(client.get(f"/invites/{invite}").text)

    for calendar in ("google", "google", "ics"):
        followed = client.get(links[calendar], follow_redirects=False)
        assert followed.status_code == 302
    target = client.get(links["google"], follow_redirects=False).headers["location"]
    page = client.get(f"/invites/{invite}")

    assert urlsplit(target).netloc == "calendar.google.com"
    assert "Added via link, by calendar" in page.text
    assert "<tr><td>google</td><td>3</td></tr>" in page.text
    assert "<tr><td>ics</td><td>1</td></tr>" in page.text
