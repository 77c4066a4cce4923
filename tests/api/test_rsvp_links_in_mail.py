"""Web RSVP links as a recipient meets them: in the invitation mailed to them, then followed.

A server with CIS_WEB_BASE_URL sends a real invitation (outbox), the test reads it back with
the email package and follows the links of its text part through the API: a GET only asks
(mail scanners follow links), the page's form POSTs the answer, and statistics count it.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.mail.outbox import OutboxFolderMailer
from application.admin.keys import Scope
from application.links.rsvp_links import InvalidLinkError, RsvpLinks
from application.send_types import Recipient
from domain.web_links import LINK_TTL, read_link
from entrypoints.api import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from tests.api.conftest import SEQ0, caught_up, ingest, invite_ics, key
from tests.driver import driver

WEB = "https://invites.example.com/cal"
ANN = "ann@example.org"
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
LABELS = {"Accept": "accepted", "Maybe": "tentative", "Decline": "declined"}


@dataclass
class Server:
    """A running API over a memory-backed server that links to WEB, with an admin key."""

    client: TestClient
    container: Container
    outbox: Path
    admin: str

    def statistics(self, invite: UUID) -> dict[str, int]:
        """Return the invite's counts by status, as the dashboard reads them."""
        response = self.client.get(
            f"/v1/invites/{invite}/statistics", headers={"Authorization": f"Bearer {self.admin}"}
        )
        assert response.status_code == 200, response.text
        by_status: dict[str, int] = response.json()["by_status"]
        return by_status

    def mail_to(self, address: str, method: str = "REQUEST") -> EmailMessage:
        """Return the newest message of ``method`` sent to ``address``, parsed."""
        sent = [e for e in OutboxFolderMailer(self.outbox).entries() if address in e.to]
        entry = [e for e in sent if e.method == method][-1]
        message = message_from_bytes(entry.path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


def serve(data: Path, web: str | None = WEB, secret: str | None = None) -> Server:
    """Return a server for ``data`` (with its client not yet started)."""
    settings = Settings(
        backend="memory",
        mail_domain="invites.example",
        data_dir=data,
        web_base_url=web,
        secret=secret,
    )
    container = bootstrap(settings)
    admin = key(container, Scope.ADMIN, None)
    client = caught_up(TestClient(create_app(container)), container)
    return Server(client, container, settings.outbox_path, admin)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server with web links, its API client running."""
    running = serve(tmp_path)
    with running.client:
        yield running


def send(server: Server, raw: bytes = b"", to: str = ANN) -> UUID:
    """Ingest an organizer's invite (the corpus one by default) and send it to ``to``."""
    invite = ingest(server.container, raw or SEQ0.read_bytes(), now=NOW)
    driver(server.container).send(str(invite), [Recipient(to)], now=NOW)
    return invite


def text_links(message: EmailMessage) -> dict[str, str]:
    """Return the answer links of the text part: its "Accept: URL" lines."""
    part = message.get_body(("plain",))
    assert part is not None
    found = {}
    for line in part.get_content().splitlines():
        label, _, url = line.partition(": ")
        if label in LABELS:
            found[LABELS[label]] = url
    return found


def html_links(message: EmailMessage) -> dict[str, str]:
    """Return the answer links of the HTML part, as a browser reads them (unescaped)."""
    part = message.get_body(("html",))
    assert part is not None
    anchors = _Tags()
    anchors.feed(part.get_content())
    return {LABELS[text]: href for text, href in anchors.anchors if text in LABELS}


def follow(server: Server, url: str) -> httpx.Response:
    """GET a link of the mail through the API (its path under WEB)."""
    assert url.startswith(WEB + "/")
    response: httpx.Response = server.client.get(url.removeprefix(WEB))
    return response


def confirm(server: Server, page: httpx.Response) -> httpx.Response:
    """Submit the confirmation page's form, as a browser would."""
    form = _Tags()
    form.feed(page.text)
    assert form.method == "post"
    action = urljoin(str(page.url), form.action)
    response: httpx.Response = server.client.post(urlsplit(action).path, data=form.fields)
    return response


def test_an_invitation_links_each_answer_in_both_bodies_and_not_in_the_calendar(
    server: Server,
) -> None:
    send(server)
    message = server.mail_to(ANN)

    links = text_links(message)
    assert links == html_links(message)
    assert sorted(links) == ["accepted", "declined", "tentative"]
    tokens = {urlsplit(url).path.rsplit("/", 1)[1] for url in links.values()}
    assert len(tokens) == 1
    for answer, url in links.items():
        assert url == f"{WEB}/v1/rsvp/{next(iter(tokens))}?answer={answer}"
    for part in message.walk():
        if part.get_content_type() in {"text/calendar", "application/ics"}:
            calendar = part.get_payload(decode=True)
            assert isinstance(calendar, bytes)
            assert b"rsvp/" not in calendar
            assert b"invites.example.com/cal" not in calendar


def test_a_link_vouches_for_the_recipient_and_version_until_after_the_event(
    server: Server,
) -> None:
    invite = send(server)
    (token,) = {
        urlsplit(u).path.rsplit("/", 1)[1] for u in text_links(server.mail_to(ANN)).values()
    }
    outbound = driver(server.container).outbound
    assert outbound is not None

    claim = read_link(outbound.secret, token, NOW)

    assert (claim.invite, claim.sequence) == (invite, 0)
    # The corpus event is long past: the link lives LINK_TTL from sending.
    assert claim.expires == NOW + LINK_TTL


def test_following_a_link_asks_first_and_only_the_form_records(server: Server) -> None:
    invite = send(server)
    link = text_links(server.mail_to(ANN))["accepted"]

    for _ in range(2):  # a mail scanner, then the recipient
        page = follow(server, link)
        assert page.status_code == 200
        assert "Accept?" in page.text
        assert "the Strokes" in page.text
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    assert server.statistics(invite)["accepted"] == 0
    assert server.statistics(invite)["no answer"] == 1

    result = confirm(server, page)

    assert result.status_code == 200
    assert "We recorded that you accept: the Strokes." in result.text
    assert server.statistics(invite)["accepted"] == 1
    assert server.statistics(invite)["no answer"] == 0


def test_a_later_click_on_another_answer_wins(server: Server) -> None:
    invite = send(server)
    links = text_links(server.mail_to(ANN))

    confirm(server, follow(server, links["accepted"]))
    declined = confirm(server, follow(server, links["declined"]))

    assert "you decline" in declined.text
    stats = server.statistics(invite)
    assert (stats["accepted"], stats["declined"]) == (0, 1)


def test_a_tampered_link_is_refused_on_get_and_post(server: Server) -> None:
    invite = send(server)
    link = text_links(server.mail_to(ANN))["accepted"]
    page = follow(server, link)
    path, _, query = link.removeprefix(WEB).partition("?")
    token = path.rsplit("/", 1)[1]
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]

    asked = server.client.get(f"/v1/rsvp/{flipped}?{query}")
    posted = server.client.post(f"/v1/rsvp/{flipped}", data={"answer": "accepted"})

    for response in (asked, posted):
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert "This link is not valid: it was altered" in response.text
        assert "<form" not in response.text
    assert page.status_code == 200  # the untouched link still asks
    assert server.statistics(invite)["accepted"] == 0


def test_a_title_with_markup_and_quotes_is_escaped_on_the_confirmation_page(
    server: Server,
) -> None:
    title = "<script>alert(\"x\")</script> & 'friends'"
    raw = invite_ics("escape-1", "organizer@example.com", "20400101T100000Z", title=title)
    send(server, raw)

    page = follow(server, text_links(server.mail_to(ANN))["tentative"])

    assert page.status_code == 200
    assert "<script>" not in page.text
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;friends&#x27;" in page.text
    )
    assert "Maybe?" in page.text


def test_a_cancellation_carries_no_links(server: Server) -> None:
    invite = send(server)
    response = server.client.post(
        f"/v1/invites/{invite}/cancel", headers={"Authorization": f"Bearer {server.admin}"}
    )
    assert response.status_code < 300, response.text

    cancel = server.mail_to(ANN, method="CANCEL")

    assert text_links(cancel) == html_links(cancel) == {}


def test_without_a_web_base_url_an_invitation_has_no_links(tmp_path: Path) -> None:
    secret = base64.b64encode(os.urandom(32)).decode()
    without, with_links = serve(tmp_path / "a", None, secret), serve(tmp_path / "b", WEB, secret)
    for server in (without, with_links):
        send(server)

    plain, linked = without.mail_to(ANN), with_links.mail_to(ANN)

    assert text_links(plain) == html_links(plain) == {}
    for message in (plain, linked):
        assert message.get_body(("plain",)) is not None
    # Everything but the links is the same: drop their lines and the texts agree.
    assert _without_links(linked, "plain") == _text(plain, "plain")
    assert b"/v1/rsvp/" not in plain.as_bytes()


def test_a_resend_of_the_same_version_is_the_same_bytes(tmp_path: Path) -> None:
    secret = base64.b64encode(os.urandom(32)).decode()
    copies = []
    for name in ("first", "second"):
        server = serve(tmp_path / name, WEB, secret)
        send(server)
        copies.append(server.mail_to(ANN).as_bytes())
    assert copies[0] == copies[1]
    assert b"/v1/rsvp/" in copies[0]


def test_a_link_past_its_expiry_is_refused_with_the_date(server: Server) -> None:
    send(server)
    link = text_links(server.mail_to(ANN))["accepted"]
    token = urlsplit(link).path.rsplit("/", 1)[1]
    service = driver(server.container)
    assert service.outbound is not None
    links = RsvpLinks(service.load, service.save, service.outbound)

    expired = NOW + LINK_TTL + timedelta(seconds=1)
    for use in (links.question, links.answer):
        with pytest.raises(InvalidLinkError, match="expired on 2027-02-19 15:00 UTC"):
            use(token, "accepted", expired)


def _text(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content())


def _without_links(message: EmailMessage, kind: str) -> str:
    lines = _text(message, kind).splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "answer on the web" in line)
    return "".join(lines[:start])


class _Tags(HTMLParser):
    """Collects anchors (text, href) and the one form's method, action and fields."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[str, str]] = []
        self.method = self.action = ""
        self.fields: dict[str, str] = {}
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a":
            self._href = values.get("href")
        elif tag == "form":
            self.method, self.action = values["method"], values["action"]
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values["value"]

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.anchors.append((data, self._href))
            self._href = None
