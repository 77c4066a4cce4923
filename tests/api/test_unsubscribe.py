"""One-click unsubscribe (RFC 8058) as a recipient meets it: the headers of a real list
invitation (read back from the outbox with the email package), the GET that only asks, the
POST that unsubscribes, the mailto address, and the admin API of the suppression list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from adapters.mail.outbox import OutboxFolderMailer
from application.admin.keys import Scope
from application.outbound.suppressions import SuppressionReason
from application.send_types import Recipient, SendOutcome
from entrypoints.api import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from tests.api.conftest import ORGANIZER, SEQ0, caught_up, ingest, key
from tests.driver import driver

WEB = "https://invites.example.com/cal"
ANN = "ann@example.org"
BOB = "bob@example.org"
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
_HEADER = re.compile(
    r"^<(?P<url>https://[^>]+/v1/unsubscribe/(?P<token>[a-z2-7]+))>, "
    r"<mailto:unsubscribe\+(?P<mail>[a-z2-7]+)@invites\.example>$"
)


@dataclass
class Server:
    """A running API over a memory-backed server that links to WEB, with keys."""

    client: TestClient
    container: Container
    outbox: Path
    admin: str
    organizer: str
    invite: UUID

    def mail_to(self, address: str) -> EmailMessage:
        """Return the newest message sent to ``address``, parsed."""
        entries = [e for e in OutboxFolderMailer(self.outbox).entries() if address in e.to]
        message = message_from_bytes(entries[-1].path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message

    def sent_to(self, address: str) -> int:
        """Return how many messages went to ``address``."""
        return sum(address in e.to for e in OutboxFolderMailer(self.outbox).entries())

    def listed(self) -> list[dict[str, str]]:
        """Return the suppression list, as an admin key reads it."""
        response = self.client.get("/v1/suppressions", headers=_auth(self.admin))
        assert response.status_code == 200, response.text
        found: list[dict[str, str]] = response.json()["suppressions"]
        return found


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server with web links; the corpus invite sent to ANN from a list, to BOB by hand."""
    settings = Settings(
        backend="memory", mail_domain="invites.example", data_dir=tmp_path, web_base_url=WEB
    )
    container = bootstrap(settings)
    invite = ingest(container, SEQ0.read_bytes(), now=NOW)
    service = driver(container)
    service.send(str(invite), [Recipient(ANN, origin="bulk")], now=NOW)
    service.send(str(invite), [Recipient(BOB)], now=NOW)
    client = caught_up(TestClient(create_app(container)), container)
    with client:
        yield Server(
            client,
            container,
            settings.outbox_path,
            key(container, Scope.ADMIN, None),
            key(container, Scope.ORGANIZER, ORGANIZER),
            invite,
        )


def _link(server: Server, address: str = ANN) -> tuple[str, str]:
    """Return (path under WEB, token) of the List-Unsubscribe URL mailed to ``address``."""
    header = " ".join(str(server.mail_to(address)["List-Unsubscribe"]).split())
    found = _HEADER.match(header)
    assert found is not None, header
    assert found["token"] == found["mail"]
    assert found["url"].startswith(WEB + "/")
    return found["url"].removeprefix(WEB), found["token"]


def test_a_list_invitation_carries_one_click_unsubscribe_and_a_personal_one_does_not(
    server: Server,
) -> None:
    message = server.mail_to(ANN)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    _link(server)
    personal = server.mail_to(BOB)
    assert personal["List-Unsubscribe"] is None
    assert personal["List-Unsubscribe-Post"] is None


def test_a_get_only_asks(server: Server) -> None:
    path, _ = _link(server)
    for _ in range(3):
        page = server.client.get(path)
        assert page.status_code == 200
        assert ORGANIZER in page.text
        assert ANN not in page.text
        assert 'method="post"' in page.text
        assert 'value="all"' in page.text
    assert server.listed() == []


def test_the_one_click_post_unsubscribes_at_once_and_again_changes_nothing(
    server: Server,
) -> None:
    path, _ = _link(server)
    for _ in range(2):
        done = server.client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200, done.text
    listed = server.listed()
    assert [(s["address"], s["scope"], s["reason"]) for s in listed] == [
        (ANN, ORGANIZER, "unsubscribed")
    ]
    before = server.sent_to(ANN)
    (result,) = driver(server.container).send(
        str(server.invite), [Recipient(ANN, origin="bulk")], now=NOW
    )
    assert result.outcome is SendOutcome.SUPPRESSED
    assert server.sent_to(ANN) == before


def test_the_page_can_unsubscribe_from_every_organizer(server: Server) -> None:
    path, _ = _link(server)
    assert server.client.post(path, data={"scope": "all"}).status_code == 200
    assert [s["scope"] for s in server.listed()] == ["all"]


@pytest.mark.parametrize("change", ["last", "first", "short", "long", "case-pad"])
def test_a_forged_or_altered_token_is_refused(server: Server, change: str) -> None:
    path, token = _link(server)
    base = path.removesuffix(token)
    swap = {"a": "b"}.get(token[-1], "a")
    forged = {
        "last": token[:-1] + swap,
        "first": ("b" if token[0] == "a" else "a") + token[1:],
        "short": token[:-8],
        "long": token + "aa",
        "case-pad": token + "=",
    }[change]
    assert server.client.post(base + forged, data={"scope": "all"}).status_code in (400, 422)
    assert server.client.get(base + forged).status_code in (400, 422)
    assert server.listed() == []


def test_mail_to_the_unsubscribe_address_unsubscribes(server: Server) -> None:
    _, token = _link(server)
    raw = b"From: ann@example.org\r\nSubject: unsubscribe\r\n\r\nplease\r\n"
    service = driver(server.container)
    result = service.ingest(raw, now=NOW, envelope_to=f"unsubscribe+{token}@invites.example")
    assert result.outcome.value == "unsubscribed"
    assert [(s["address"], s["scope"]) for s in server.listed()] == [(ANN, ORGANIZER)]
    forged = service.ingest(
        raw + b"x",
        now=NOW,
        envelope_to=f"unsubscribe+{token[:-2]}{'b' if token[-2] == 'a' else 'a'}{token[-1]}"
        "@invites.example",
    )
    assert forged.outcome.value == "rejected"
    assert len(server.listed()) == 1


def test_the_admin_api_adds_lists_and_lifts(server: Server) -> None:
    admin = _auth(server.admin)
    added = server.client.post(
        "/v1/suppressions", json={"address": "Zed@Example.org", "reason": "admin"}, headers=admin
    )
    assert added.status_code == 201, added.text
    assert added.json()["address"] == "zed@example.org"
    assert added.json()["scope"] == "all"
    lifted = server.client.delete(
        "/v1/suppressions", params={"address": "zed@example.org"}, headers=admin
    )
    assert lifted.status_code == 204
    again = server.client.delete(
        "/v1/suppressions", params={"address": "zed@example.org"}, headers=admin
    )
    assert again.status_code == 404


def test_an_organizer_key_sees_counts_never_addresses(server: Server) -> None:
    path, _ = _link(server)
    server.client.post(path, data={"scope": "all"})
    organizer = _auth(server.organizer)
    assert server.client.get("/v1/suppressions", headers=organizer).status_code == 403
    refused = server.client.post(
        "/v1/suppressions", json={"address": "zed@example.org"}, headers=organizer
    )
    assert refused.status_code == 403
    counts = server.client.get("/v1/suppressions/counts", headers=organizer)
    assert counts.status_code == 200, counts.text
    assert counts.json() == {"organizer": ORGANIZER, "own": {}, "everywhere": {"unsubscribed": 1}}
    assert ANN not in counts.text


def test_the_routes_are_documented(server: Server) -> None:
    spec = server.client.get("/v1/openapi.json").json()
    assert {"get", "post", "delete"} <= spec["paths"]["/v1/suppressions"].keys()
    assert {"get", "post"} <= spec["paths"]["/v1/unsubscribe/{token}"].keys()


def test_a_landing_page_does_not_tell_a_visitor_who_is_suppressed(server: Server) -> None:
    suppressions = server.container.front_doors().outbound.suppressions
    suppressions.suppress("zed@example.org", None, SuppressionReason.COMPLAINT, now=NOW)
    signature = server.container.front_doors().links.landing_signature(server.invite)
    pages = [
        server.client.get(
            f"/v1/landing/{server.invite}", params={"sig": signature, "address": address}
        )
        for address in ("zed@example.org", "yan@example.org")
    ]
    assert [page.status_code for page in pages] == [200, 200]
    assert pages[0].text.replace("zed", "yan") == pages[1].text
    assert server.sent_to("zed@example.org") == 0
    assert server.sent_to("yan@example.org") == 1
