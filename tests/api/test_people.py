"""The admin API of recipients' data-protection requests: export, then erase; other keys are
refused, and the address travels in the body, never in a URL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from application.send_types import Recipient, SendOutcome
from tests.api.test_unsubscribe import ANN, BOB, NOW, Server, _auth, server  # noqa: F401
from tests.driver import driver


def test_an_admin_exports_then_erases_a_recipient(server: Server) -> None:  # noqa: F811
    admin = _auth(server.admin)
    exported = server.client.post("/v1/people/export", json={"address": ANN.upper()}, headers=admin)
    assert exported.status_code == 200, exported.text
    found = exported.json()
    assert found["address"] == ANN
    assert found["erased_at"] is None
    assert "Delivery" in {record["record"] for record in found["records"]}
    assert ANN in exported.text

    erased = server.client.post("/v1/people/erasures", json={"address": ANN}, headers=admin)
    assert erased.status_code == 200, erased.text
    done = erased.json()
    assert done["already"] is False
    assert done["placeholder"].endswith("@erased.invalid")
    assert done["streams"] >= 1

    after = server.client.post("/v1/people/export", json={"address": ANN}, headers=admin).json()
    assert after["erased_at"] is not None
    assert ANN not in str(after["records"])
    again = server.client.post("/v1/people/erasures", json={"address": ANN}, headers=admin)
    assert again.json()["already"] is True

    (result,) = driver(server.container).send(str(server.invite), [Recipient(ANN)], now=NOW)
    assert result.outcome is SendOutcome.SUPPRESSED
    (other,) = driver(server.container).send(str(server.invite), [Recipient(BOB)], now=NOW)
    assert other.outcome is not SendOutcome.SUPPRESSED


def test_only_admin_keys_may_export_or_erase(server: Server) -> None:  # noqa: F811
    organizer = _auth(server.organizer)
    for path in ("/v1/people/export", "/v1/people/erasures"):
        refused = server.client.post(path, json={"address": ANN}, headers=organizer)
        assert refused.status_code == 403
        assert server.client.post(path, json={"address": ANN}).status_code == 401
    nothing = server.client.post(
        "/v1/people/export", json={"address": ANN}, headers=_auth(server.admin)
    )
    assert nothing.json()["erased_at"] is None


def test_a_bad_address_is_refused_and_the_routes_are_documented(server: Server) -> None:  # noqa: F811
    admin = _auth(server.admin)
    refused = server.client.post("/v1/people/erasures", json={"address": "nobody"}, headers=admin)
    assert refused.status_code == 422
    client: TestClient = server.client
    spec = client.get("/v1/openapi.json").json()
    assert "post" in spec["paths"]["/v1/people/erasures"]
    assert "post" in spec["paths"]["/v1/people/export"]
    assert not any("{" in path for path in spec["paths"] if path.startswith("/v1/people"))
