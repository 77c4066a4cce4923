"""A read never projects: it answers from the views as they are, and says how far behind."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from application.admin.keys import Scope
from entrypoints.api import create_app
from entrypoints.api.state import VIEWS_PENDING_HEADER
from tests.api.conftest import SEQ0, ingest, key, new_container


def test_a_get_writes_nothing_and_says_how_many_events_its_views_lag(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    ingest(container, SEQ0.read_bytes())
    auth = {"Authorization": f"Bearer {key(container, Scope.ADMIN, None)}"}
    runner = container.projections()
    behind = runner.pending()
    assert behind > 0
    with TestClient(create_app(container)) as client:
        stale = client.get("/v1/system/statistics", headers=auth)
        assert stale.status_code == 200, stale.text
        assert stale.headers[VIEWS_PENDING_HEADER] == str(behind)
        assert stale.json()["invites"] == 0
        assert runner.pending() == behind  # the read projected nothing

        runner.run()  # the server's background runner, in one step
        fresh = client.get("/v1/system/statistics", headers=auth)
        assert fresh.headers[VIEWS_PENDING_HEADER] == "0"
        assert fresh.json()["invites"] == 1


def test_writes_do_not_say_how_fresh_views_are(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = ingest(container, SEQ0.read_bytes())
    auth = {"Authorization": f"Bearer {key(container, Scope.ADMIN, None)}"}
    with TestClient(create_app(container)) as client:
        sent = client.post(
            f"/v1/invites/{invite}/recipients", headers=auth, json={"address": "ann@example.org"}
        )
        assert sent.status_code == 200, sent.text
        assert VIEWS_PENDING_HEADER not in sent.headers


def test_the_openapi_document_says_which_reads_tell_the_views_lag(tmp_path: Path) -> None:
    with TestClient(create_app(new_container(tmp_path))) as client:
        paths = client.get("/v1/openapi.json").json()["paths"]
    documented = {
        (method, path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if VIEWS_PENDING_HEADER in operation["responses"].get("200", {}).get("headers", {})
    }
    # Every JSON read says how far its views lag; HTML pages, files and writes do not.
    json_reads = {
        ("get", path)
        for path, operations in paths.items()
        if "application/json"
        in operations.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
    }
    assert documented == json_reads
    assert {("get", "/v1/system/statistics"), ("get", "/v1/invites/{invite_id}")} <= documented
    header = paths["/v1/system/statistics"]["get"]["responses"]["200"]["headers"]
    assert header[VIEWS_PENDING_HEADER]["schema"] == {"type": "integer", "minimum": 0}
