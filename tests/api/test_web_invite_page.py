"""The web app's invite page over HTTP: who may see it, what it shows, and its pages."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from application.send_types import Recipient
from entrypoints.api import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from tests.api.conftest import SEQ0, SEQ1, ingest, invite_ics

ORGANIZER = "inboxapptest@gmail.com"  # the organizer of the corpus invite
OTHER = "rival@example.com"
ADMIN = "admin@example.org"
BASE = "http://testserver"


def new_container(tmp_path: Path) -> Container:
    settings = Settings(backend="memory", data_dir=tmp_path, web_base_url=BASE, admins=ADMIN)
    container = bootstrap(settings)
    for address in (ORGANIZER, OTHER):
        container.registry().allow(address, now=datetime.now(UTC))
    return container


def signed_in(container: Container, address: str) -> TestClient:
    """Return a client signed in as ``address`` through the sign-in routes."""
    client = TestClient(create_app(container), base_url=BASE)
    client.post("/sign-in", data={"address": address})
    answer = client.post(f"/sign-in/{mailed_token(container, address)}", follow_redirects=False)
    assert answer.status_code == 303
    return client


def mailed_token(container: Container, to: str) -> str:
    """Return the token of the newest sign-in link mailed to ``to``."""
    found: list[str] = []
    for entry in container.mailer().entries():
        message = email.message_from_bytes(entry.path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        if to in str(message["To"]) and body is not None:
            found += re.findall(r"/sign-in/([\w-]+)", body.get_content())
    assert found, f"no sign-in link was mailed to {to}"
    return found[-1]


def send(container: Container, invite: UUID, count: int) -> None:
    """Send the invite to ``count`` people and bring the views up to date."""
    recipients = [Recipient(f"p{i:03}@example.net", f"Person {i}", "bulk") for i in range(count)]
    container.outbound().send(str(invite), recipients, now=datetime.now(UTC))
    container.projections().run()


def corpus_invite(container: Container) -> UUID:
    """The corpus invite, updated once (its location), with its views current."""
    invite = ingest(container, SEQ0.read_bytes())
    ingest(container, SEQ1.read_bytes())
    container.projections().run()
    return invite


def test_its_organizer_sees_the_details_history_and_counts(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    send(container, invite, 3)
    client = signed_in(container, ORGANIZER)

    home = client.get("/")
    assert f'href="/invites/{invite}"' in home.text
    answer = client.get(f"/invites/{invite}")

    assert answer.status_code == 200
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    text = answer.text
    assert "<h1>the Strokes" in text
    assert "Thu 19 Mar 2015, 23:30 UTC" in text
    assert "Karim Hamidou &lt;inboxapptest@gmail.com&gt;" in text
    assert "Created" in text
    assert "The organizer changed location (SEQUENCE 1)." in text
    assert "<svg" in text
    assert '<title id="answers-title">Answers by status</title>' in text
    assert "no answer: 3" in text  # the chart's description
    assert "<tr><td>bulk</td><td>3</td></tr>" in text  # the origins chart's table
    assert "p002@example.net" in text
    assert "Held for review" not in text
    # The one script is the app's own file for the copy buttons: nothing inline.
    assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/copy.js" defer>']
    assert " style=" not in text


def test_another_organizer_gets_the_same_404_as_for_no_invite(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    client = signed_in(container, OTHER)

    theirs = client.get(f"/invites/{invite}")
    missing = client.get(f"/invites/{uuid4()}")
    malformed = client.get("/invites/not-an-id")

    assert theirs.status_code == missing.status_code == malformed.status_code == 404
    assert theirs.text == missing.text == malformed.text
    assert "the Strokes" not in theirs.text


def test_an_admin_sees_any_invite(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    client = signed_in(container, ADMIN)

    answer = client.get(f"/invites/{invite}")

    assert answer.status_code == 200
    assert "the Strokes" in answer.text


def test_signed_out_people_are_sent_to_sign_in(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    client = TestClient(create_app(container), base_url=BASE)

    answer = client.get(f"/invites/{invite}", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"


def test_a_hostile_title_is_shown_as_text(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    hostile = '<script>alert("x")</script>'
    raw = invite_ics("hostile@example.org", ORGANIZER, "20300101T100000Z", hostile)
    invite = ingest(container, raw)
    container.projections().run()
    client = signed_in(container, ORGANIZER)

    text = client.get(f"/invites/{invite}").text

    assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/copy.js" defer>']
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text


def test_attendees_come_fifty_a_page(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    send(container, invite, 60)
    client = signed_in(container, ORGANIZER)

    first = client.get(f"/invites/{invite}").text
    (next_link,) = re.findall(r'href="(/invites/[^"]+\?cursor=[^"]+)"', first)
    second = client.get(next_link.replace("&amp;", "&")).text

    assert "p049@example.net" in first
    assert "p050@example.net" not in first
    assert "p050@example.net" in second
    assert "p059@example.net" in second
    assert "p000@example.net" not in second
    assert "Next page" not in second
    assert "First page" in second
    assert "no answer: 60" in first


def test_a_cursor_the_server_did_not_hand_out_is_not_found(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = corpus_invite(container)
    client = signed_in(container, ORGANIZER)

    assert client.get(f"/invites/{invite}", params={"cursor": "____"}).status_code == 404


def test_an_update_held_for_review_shows_a_badge(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    container.registry().review(ORGANIZER, True, now=datetime.now(UTC))
    invite = ingest(container, SEQ0.read_bytes())
    send(container, invite, 1)
    ingest(container, SEQ1.read_bytes())  # a new place: held until approved
    container.projections().run()
    client = signed_in(container, ORGANIZER)

    assert "Held for review" in client.get(f"/invites/{invite}").text
