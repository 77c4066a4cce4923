"""Every error is an RFC 9457 problem, and no failure shows the server's internals."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from application.admin.keys import Scope
from entrypoints.api import create_app
from tests.api.conftest import World, assert_problem, key, new_container


def test_an_unknown_path_is_a_404_problem(world: World) -> None:
    body = assert_problem(world.client.get("/v1/nothing-here"), 404)
    assert body["instance"] == "/v1/nothing-here"


def test_a_wrong_method_is_a_405_problem_with_allow(world: World) -> None:
    response = world.client.delete(f"/v1/invites/{world.invite}", headers=world.auth(world.admin))
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_a_malformed_invite_id_is_a_validation_problem(world: World) -> None:
    response = world.client.get("/v1/invites/not-a-uuid", headers=world.auth(world.admin))
    body = assert_problem(response, 422)
    assert body["errors"] == [
        {
            "location": ["path", "invite_id"],
            "message": body["errors"][0]["message"],  # type: ignore[index]
            "type": "uuid_parsing",
        }
    ]


def test_a_limit_out_of_range_is_a_validation_problem(world: World) -> None:
    for limit in ("0", "201", "ten"):
        response = world.client.get(
            f"/v1/invites/{world.invite}/attendees?limit={limit}", headers=world.auth(world.admin)
        )
        assert_problem(response, 422)


def test_an_unexpected_failure_is_a_500_problem_without_internals(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    token = key(container, Scope.ADMIN, None)

    class Broken:
        def system_statistics(self) -> None:
            raise RuntimeError("secret internals: /etc/passwd")

    container.reports.override(Broken())
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        response = client.get("/v1/system/statistics", headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(response, 500)
    assert "secret" not in response.text
    assert body["title"] == "Internal Server Error"


def test_the_openapi_document_and_docs_are_served_under_v1(world: World) -> None:
    spec = world.client.get("/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "/v1/invites/{invite_id}/bulk/{upload_id}/confirm" in paths
    assert "/v1/landing/{invite_id}" in paths
    assert world.client.get("/v1/docs").status_code == 200
