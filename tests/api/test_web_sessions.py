"""The web app's sign-in routes over HTTP: cookies, CSRF, and answers that reveal nobody."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from fastapi.testclient import TestClient

from entrypoints.api import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings

ORGANIZER = "ann@example.org"


def app_at(tmp_path: Path, base: str) -> tuple[TestClient, Container]:
    settings = Settings(backend="memory", data_dir=tmp_path, web_base_url=base)
    container = bootstrap(settings)
    container.registry().allow(ORGANIZER, now=datetime.now(UTC))
    return TestClient(create_app(container), base_url=base), container


def mailed_token(container: Container) -> str:
    """Return the token of the one sign-in link in the outbox."""
    (entry,) = container.mailer().entries()
    message = email.message_from_bytes(entry.path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    (token,) = re.findall(r"/sign-in/([\w-]+)", message.get_content())
    return str(token)


def signed_in(client: TestClient, container: Container) -> str:
    """Sign ``ORGANIZER`` in through the routes; return the session cookie's value."""
    client.post("/sign-in", data={"address": ORGANIZER})
    token = mailed_token(container)
    answer = client.post(f"/sign-in/{token}", follow_redirects=False)
    assert answer.status_code == 303
    return str(answer.cookies["cis_session"])


def test_the_form_answers_the_same_for_known_and_unknown_addresses(tmp_path: Path) -> None:
    client, _ = app_at(tmp_path, "http://testserver")
    known = client.post("/sign-in", data={"address": ORGANIZER})
    unknown = client.post("/sign-in", data={"address": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(ORGANIZER, "X") == unknown.text.replace("nobody@example.org", "X")


def test_the_session_cookie_is_http_only_lax_and_secure_over_https(tmp_path: Path) -> None:
    client, container = app_at(tmp_path, "https://testserver")
    client.post("/sign-in", data={"address": ORGANIZER})
    answer = client.post(f"/sign-in/{mailed_token(container)}", follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" in cookie


def test_signing_out_needs_the_sessions_own_form_token(tmp_path: Path) -> None:
    client, container = app_at(tmp_path, "http://testserver")
    session = signed_in(client, container)

    forged = client.post("/sign-out", data={"csrf": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200

    token = container.sessions().csrf_token(session)
    done = client.post("/sign-out", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    client.cookies.set("cis_session", session)  # a copy kept by a thief is worthless now
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"


def test_pages_load_nothing_from_elsewhere_and_allow_no_script(tmp_path: Path) -> None:
    client, _ = app_at(tmp_path, "http://testserver")
    answer = client.get("/sign-in")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert not re.search(r"(src|href)=\"(https?:)?//", answer.text)
    assert client.get("/static/web.css").headers["content-type"].startswith("text/css")


def test_without_a_public_address_sign_in_says_it_is_not_set_up(tmp_path: Path) -> None:
    container = bootstrap(Settings(backend="memory", data_dir=tmp_path))
    client = TestClient(create_app(container))
    assert "not set up" in client.get("/sign-in").text
    assert client.post("/sign-in", data={"address": ORGANIZER}).status_code == 503
