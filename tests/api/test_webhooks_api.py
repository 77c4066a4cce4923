"""The webhooks API: register (the secret once), list and read without secrets, who sees what
(404 for others), the delivery log after a real delivery, send again, rotate, disable,
remove; and the OpenAPI document describing all of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from application.admin.keys import Scope
from entrypoints.api import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from tests.api.conftest import ORGANIZER as GMAIL_ORGANIZER
from tests.api.conftest import OTHER, SEQ0, assert_problem, ingest, invite_ics, key
from tests.webhook_receiver import Receiver, receiver


@dataclass
class Hooks:
    client: TestClient
    container: Container
    hook: Receiver
    tokens: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def hooks(tmp_path: Path) -> Iterator[Hooks]:
    container = bootstrap(
        Settings(
            backend="memory",
            mail_domain="invites.example",
            data_dir=tmp_path / "data",
            webhooks_allow_private=True,
        )
    )
    tokens = {
        "admin": key(container, Scope.ADMIN, None),
        "organizer": key(container, Scope.ORGANIZER, GMAIL_ORGANIZER),
        "rival": key(container, Scope.ORGANIZER, OTHER),
        "gmail": key(container, Scope.DOMAIN, "gmail.com"),
        "example": key(container, Scope.DOMAIN, "example.com"),
    }
    app = create_app(container, per_key_per_minute=10_000)
    with receiver() as hook, TestClient(app) as client:
        yield Hooks(client, container, hook, tokens)


def register(hooks: Hooks, who: str = "organizer", **extra: object) -> dict[str, object]:
    body = {"url": hooks.hook.url, "event_types": ["invite.created"], **extra}
    response = hooks.client.post("/v1/webhooks", json=body, headers=hooks.as_(who))
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def test_an_endpoint_is_registered_with_its_secret_shown_once(hooks: Hooks) -> None:
    created = register(hooks, description="CRM sync")
    assert str(created["secret"]).startswith("whsec_")
    assert created["owner_kind"] == "organizer"
    assert created["owner"] == GMAIL_ORGANIZER
    assert created["contact"] == GMAIL_ORGANIZER
    assert created["enabled"] is True
    endpoint = created["id"]
    listed = hooks.client.get("/v1/webhooks", headers=hooks.as_("organizer")).json()
    assert [e["id"] for e in listed["endpoints"]] == [endpoint]
    one = hooks.client.get(f"/v1/webhooks/{endpoint}", headers=hooks.as_("organizer")).json()
    for shown in (*listed["endpoints"], one):
        assert "secret" not in shown
        assert str(created["secret"]) not in str(shown)


def test_only_the_owner_its_domain_and_admins_see_an_endpoint(hooks: Hooks) -> None:
    endpoint = register(hooks)["id"]
    for who, sees in [
        ("organizer", True),
        ("gmail", True),
        ("admin", True),
        ("rival", False),
        ("example", False),
    ]:
        listed = hooks.client.get("/v1/webhooks", headers=hooks.as_(who)).json()["endpoints"]
        assert ([e["id"] for e in listed] == [endpoint]) is sees, who
        one = hooks.client.get(f"/v1/webhooks/{endpoint}", headers=hooks.as_(who))
        assert one.status_code == (200 if sees else 404), who
        if not sees:
            assert_problem(one, 404)
            rotate = hooks.client.post(f"/v1/webhooks/{endpoint}/rotate", headers=hooks.as_(who))
            assert_problem(rotate, 404)
            delete = hooks.client.delete(f"/v1/webhooks/{endpoint}", headers=hooks.as_(who))
            assert_problem(delete, 404)
    assert hooks.client.get("/v1/webhooks").status_code == 401


def test_the_delivery_log_shows_each_attempt_and_sends_again(hooks: Hooks) -> None:
    created = register(hooks)
    hooks.hook.secrets.append(str(created["secret"]))
    endpoint = created["id"]
    ingest(hooks.container, SEQ0.read_bytes())
    ingest(hooks.container, invite_ics("rival-1", OTHER, "20400101T100000Z"))  # not theirs
    webhooks = hooks.container.webhooks()
    webhooks.run(datetime.now(UTC))
    log = hooks.client.get(
        f"/v1/webhooks/{endpoint}/deliveries", headers=hooks.as_("organizer")
    ).json()
    (delivery,) = log["deliveries"]
    assert log["cursor"] is None
    assert delivery["event_type"] == "invite.created"
    assert delivery["status"] == "delivered"
    (attempt,) = delivery["attempts"]
    assert attempt["status_code"] == 204
    assert attempt["ok"] is True
    assert attempt["latency_ms"] >= 0
    (received,) = hooks.hook.received
    assert received.verified
    assert received.webhook_id == delivery["webhook_id"]
    assert received.payload["data"]["organizer"] == GMAIL_ORGANIZER

    again = hooks.client.post(
        f"/v1/webhooks/{endpoint}/deliveries/{delivery['webhook_id']}/send-again",
        headers=hooks.as_("organizer"),
    )
    assert again.status_code == 202
    assert again.json()["status"] == "pending"
    webhooks.run(datetime.now(UTC))
    one = hooks.client.get(
        f"/v1/webhooks/{endpoint}/deliveries/{delivery['webhook_id']}",
        headers=hooks.as_("organizer"),
    ).json()
    assert one["status"] == "delivered"
    assert len(one["attempts"]) == 2
    assert hooks.hook.counts[delivery["webhook_id"]] == 2
    missing = hooks.client.get(
        f"/v1/webhooks/{endpoint}/deliveries/msg_nothing", headers=hooks.as_("organizer")
    )
    assert_problem(missing, 404)


def test_rotate_disable_and_remove(hooks: Hooks) -> None:
    created = register(hooks, "admin")
    endpoint = created["id"]
    assert created["owner_kind"] == "admin"
    assert created["contact"] is None
    rotated = hooks.client.post(f"/v1/webhooks/{endpoint}/rotate", headers=hooks.as_("admin"))
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    assert rotated.json()["previous_secret_until"] is not None
    patched = hooks.client.patch(
        f"/v1/webhooks/{endpoint}",
        json={"enabled": False, "event_types": ["invite.updated", "answer.recorded"]},
        headers=hooks.as_("admin"),
    ).json()
    assert patched["enabled"] is False
    assert patched["disabled_reason"] == "disabled by its owner"
    assert patched["event_types"] == ["invite.updated", "answer.recorded"]
    removed = hooks.client.delete(f"/v1/webhooks/{endpoint}", headers=hooks.as_("admin"))
    assert removed.status_code == 204
    gone = hooks.client.get(f"/v1/webhooks/{endpoint}", headers=hooks.as_("admin"))
    assert_problem(gone, 404)


def test_bad_input_is_a_problem(hooks: Hooks) -> None:
    unknown = hooks.client.post(
        "/v1/webhooks",
        json={"url": hooks.hook.url, "event_types": ["invite.exploded"]},
        headers=hooks.as_("organizer"),
    )
    assert_problem(unknown, 422)
    not_a_url = hooks.client.post(
        "/v1/webhooks",
        json={"url": "ftp://example.com/x", "event_types": ["invite.created"]},
        headers=hooks.as_("organizer"),
    )
    assert "http" in str(assert_problem(not_a_url, 422)["detail"])


def test_the_openapi_document_describes_the_webhooks(hooks: Hooks) -> None:
    document = hooks.client.get("/v1/openapi.json").json()
    paths = document["paths"]
    assert {"post", "get"} <= paths["/v1/webhooks"].keys()
    assert {"get", "patch", "delete"} <= paths["/v1/webhooks/{endpoint}"].keys()
    assert "post" in paths["/v1/webhooks/{endpoint}/rotate"]
    assert "get" in paths["/v1/webhooks/{endpoint}/deliveries"]
    assert "post" in paths["/v1/webhooks/{endpoint}/deliveries/{webhook_id}/send-again"]
    schemas = document["components"]["schemas"]
    assert "secret" in schemas["EndpointWithSecret"]["properties"]
    assert "secret" not in schemas["EndpointOut"]["properties"]
    attempt = schemas["AttemptOut"]["properties"]
    assert {"status_code", "latency_ms", "error", "at"} <= attempt.keys()
    event_types = schemas["EndpointIn"]["properties"]["event_types"]["items"]
    assert "answer.recorded" in str(event_types)
