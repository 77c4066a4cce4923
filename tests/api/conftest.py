"""An API over a fresh in-memory server: invites from the corpus, and one key of each kind."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from httpx import Request

from application.admin.keys import Scope
from entrypoints.api import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

ORGANIZER = "inboxapptest@gmail.com"  # the organizer of the corpus invite
OTHER = "rival@example.com"
SEQ0 = CORPUS / "update/gcal-selfsent-seq0.ics"
SEQ1 = CORPUS / "update/gcal-selfsent-seq1.ics"


def invite_ics(uid: str, organizer: str, start: str, title: str = "Meeting") -> bytes:
    """Return the corpus invite under another UID, organizer, start (YYYYMMDDTHHMMSSZ), title."""
    text = SEQ0.read_text(encoding="utf-8")
    text = text.replace("UID:burgos@google.com", f"UID:{uid}")
    text = text.replace("mailto:inboxapptest@gmail.com", f"mailto:{organizer}")
    text = text.replace("DTSTART:20150319T233000Z", f"DTSTART:{start}")
    text = text.replace("DTEND:20150320T003000Z", f"DTEND:{start}")
    text = text.replace("SUMMARY:the Strokes", f"SUMMARY:{title}")
    return text.encode("utf-8")


def ingest(container: Container, raw: bytes, now: datetime | None = None) -> UUID:
    """Ingest one invite (a bare .ics, mailed from its ORGANIZER's address); return its id."""
    result = from_organizer(driver(container), raw, now=now or datetime.now(UTC))
    assert result.invite is not None, result
    return result.invite


@dataclass
class World:
    """A running API, its container, the corpus invite and one key of each kind."""

    client: TestClient
    container: Container
    invite: UUID  # organized by ORGANIZER (gmail.com)
    rival_invite: UUID  # organized by OTHER (example.com)
    admin: str
    organizer: str
    rival: str
    gmail: str  # a domain key for gmail.com
    example: str  # a domain key for example.com

    def auth(self, token: str) -> dict[str, str]:
        """Return the headers that authenticate with ``token``."""
        return {"Authorization": f"Bearer {token}"}


def caught_up(client: TestClient, container: Container) -> TestClient:
    """Return ``client`` with the views caught up before each GET it sends.

    A read never projects; the embedded server's background runner keeps the views current
    within its interval. These tests have no runner, so the test does its job, at once.
    """

    def catch_up(request: Request) -> None:
        if request.method == "GET":
            container.projections().run()

    client.event_hooks = {**client.event_hooks, "request": [catch_up]}
    return client


def new_container(tmp_path: Path) -> Container:
    """Return a memory-backed server whose outbox lives under ``tmp_path``."""
    return bootstrap(
        Settings(backend="memory", mail_domain="invites.example", data_dir=tmp_path / "data")
    )


def key(container: Container, kind: Scope, subject: str | None) -> str:
    """Issue a key; return its token."""
    _, token = container.api_keys().create(
        kind, subject, f"{kind.value} test key", datetime.now(UTC)
    )
    return token


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A fresh API over a memory-backed server."""
    container = new_container(tmp_path)
    invite = ingest(container, SEQ0.read_bytes())
    rival_invite = ingest(container, invite_ics("rival-1", OTHER, "20400101T100000Z"))
    with TestClient(create_app(container)) as client:
        yield World(
            client=caught_up(client, container),
            container=container,
            invite=invite,
            rival_invite=rival_invite,
            admin=key(container, Scope.ADMIN, None),
            organizer=key(container, Scope.ORGANIZER, ORGANIZER),
            rival=key(container, Scope.ORGANIZER, OTHER),
            gmail=key(container, Scope.DOMAIN, "gmail.com"),
            example=key(container, Scope.DOMAIN, "example.com"),
        )


def assert_problem(response: object, status: int) -> dict[str, object]:
    """Assert ``response`` is an RFC 9457 problem with ``status``; return its body."""
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert isinstance(body, dict)
    assert body["status"] == status
    assert {"type", "title", "status", "instance"} <= body.keys()
    return body
