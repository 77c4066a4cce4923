"""The invite page's attendee filter: by status and by the start of the address, kept in the
paging links, and every value escaped."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import escape

from application.send_types import Recipient
from tests.api.test_web_invite_page import (
    ORGANIZER,
    corpus_invite,
    new_container,
    send,
    signed_in,
)


def links(page: str) -> list[str]:
    """The attendee table's paging links, unescaped."""
    return [html.unescape(link) for link in re.findall(r'href="(/invites/[^"]+)"', page)]


def test_a_status_filter_is_kept_in_the_paging_links(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    send(container, invite, 60)
    client = signed_in(container, ORGANIZER)

    first = client.get(f"/invites/{invite}", params={"status": "no answer"}).text
    (next_link,) = [link for link in links(first) if "cursor=" in link]
    second = client.get(next_link).text

    assert "status=no+answer" in next_link
    assert '<option value="no answer" selected>' in first
    assert "p049@example.net" in first
    assert "p059@example.net" in second
    assert "p000@example.net" not in second
    assert "First page" in second
    assert f"/invites/{invite}?status=no+answer#attendees" in links(second)
    accepted = client.get(f"/invites/{invite}", params={"status": "accepted"}).text
    assert "No one invited matches these filters." in accepted
    assert "p000@example.net" not in accepted


def test_an_address_search_reads_only_the_addresses_that_start_with_it(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    send(container, invite, 60)
    extra = [Recipient("zed@example.org", None, "vip")]
    container.outbound().send(str(invite), extra, now=datetime.now(UTC))
    container.projections().run()
    client = signed_in(container, ORGANIZER)

    found = client.get(f"/invites/{invite}", params={"q": " P05 ", "status": ""}).text

    shown = re.findall(r"<td>(p\d+@example\.net|zed@example\.org)</td>", found)
    assert shown == [f"p05{n}@example.net" for n in range(10)]
    assert 'value="p05"' in found
    assert "Show everyone" in found


def test_filter_values_are_escaped_and_unknown_statuses_filter_nothing(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    send(container, invite, 3)
    client = signed_in(container, ORGANIZER)
    hostile = '"><script>alert(1)</script>'

    answer = client.get(f"/invites/{invite}", params={"q": hostile, "status": hostile})

    assert answer.status_code == 200
    assert "<script>alert(1)" not in answer.text
    assert f'value="{escape(hostile.lower())}"' in answer.text
    everyone = client.get(f"/invites/{invite}", params={"status": hostile}).text
    assert "p002@example.net" in everyone
