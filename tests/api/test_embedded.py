"""The API over the embedded default (SQLite events and views, a data folder)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from application.admin.keys import Scope
from entrypoints.api import create_app
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.api.conftest import ORGANIZER, SEQ0, caught_up, ingest, key


def test_reads_and_sends_over_sqlite_from_the_servers_threads(tmp_path: Path) -> None:
    container = bootstrap(
        Settings(backend="embedded", mail_domain="invites.example", data_dir=tmp_path / "data")
    )
    invite = ingest(container, SEQ0.read_bytes(), datetime.now(UTC))
    auth = {"Authorization": f"Bearer {key(container, Scope.ORGANIZER, ORGANIZER)}"}
    with TestClient(create_app(container)) as client:
        client = caught_up(client, container)
        sent = client.post(
            f"/v1/invites/{invite}/recipients", headers=auth, json={"address": "ann@example.org"}
        )
        assert sent.json()["outcome"] == "sent"
        stats = client.get(f"/v1/invites/{invite}/statistics", headers=auth)
        assert stats.status_code == 200, stats.text
        assert stats.json()["invited"] == 1
        listed = client.get(f"/v1/organizers/{ORGANIZER}/invites", headers=auth)
        assert [item["invite"] for item in listed.json()["items"]] == [str(invite)]
