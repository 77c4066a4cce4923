"""The HTTP Lambda on moto: API Gateway (payload 2.0) requests through Mangum to the API."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import boto3
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from application.admin.keys import Scope
from application.send_types import Recipient
from entrypoints.aws import http, runtime
from entrypoints.container import Container, bootstrap
from tests.aws.lambda_events import REGION, LambdaContext, deployment_settings, http_event
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.replies import answer, invitation_calendar

DOMAIN = "invites.example.org"
NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
GUESTS = ["ann@example.org", "ben@example.org"]


@dataclass
class World:
    container: Container
    invite: UUID
    admin: str  # an admin API key


@pytest.fixture
def world(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """An invite sent to two guests (one accepted) on moto, projected, and an admin key."""
    # Views are projected here by the embedded runner, which reads the notification log.
    monkeypatch.setenv("DYNAMODB_NOTIFICATIONS", "y")
    run = uuid4().hex[:8]
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=f"mail-{run}")
    ses = boto3.client("ses", region_name=REGION)
    ses.verify_domain_identity(Domain=DOMAIN)
    container = bootstrap(deployment_settings(tmp_path, run, mail_domain=DOMAIN))
    service = driver(container)
    created = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    assert created.invite is not None
    [first, _] = service.send(str(created.invite), [Recipient(g) for g in GUESTS], now=NOW)
    assert first.outcome.value == "sent"
    accept(container, GUESTS[0])
    container.projections().run()
    _, admin = container.api_keys().create(Scope.ADMIN, None, "dashboard", NOW)
    runtime.reset(container)
    try:
        yield World(container, created.invite, admin)
    finally:
        runtime.reset(None)


def accept(container: Container, guest: str) -> None:
    """``guest`` accepts the invitation SES sent them, replying to its reply address."""
    [sent] = [
        m
        for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        if m.destinations[0] == guest
    ]
    calendar = invitation_calendar(sent.raw_data.encode())
    assert calendar is not None
    data, address = answer(calendar, guest, "ACCEPTED")
    driver(container).ingest(data, now=NOW, envelope_to=address)


def request(method: str, path: str, **options: Any) -> tuple[int, dict[str, str], Any]:
    """Send one request through the Lambda handler; return status, headers and JSON body."""
    response = http.handler(http_event(method, path, **options), LambdaContext())
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return response["statusCode"], response["headers"], json.loads(body)


def test_the_openapi_document_is_served(world: World) -> None:
    status, headers, document = request("GET", "/v1/openapi.json")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert document["info"]["title"] == "Calendar Invite Server"
    assert "/v1/invites/{invite_id}/statistics" in document["paths"]


def test_an_api_key_reads_the_projected_statistics(world: World) -> None:
    status, _, statistics = request(
        "GET",
        f"/v1/invites/{world.invite}/statistics",
        headers={"Authorization": f"Bearer {world.admin}"},
    )
    assert status == 200
    assert statistics["invited"] == 2
    assert statistics["by_status"]["accepted"] == 1
    assert statistics["by_status"]["no answer"] == 1


def test_a_request_without_a_key_is_a_401_problem(world: World) -> None:
    status, headers, problem = request("GET", f"/v1/invites/{world.invite}/statistics")
    assert status == 401
    assert headers["content-type"] == "application/problem+json"
    assert headers["www-authenticate"] == 'Bearer realm="cis"'
    assert problem["status"] == 401
    assert "API key" in problem["detail"]


def test_a_revoked_key_is_refused_on_the_next_request(world: World) -> None:
    auth = {"X-API-Key": world.admin}
    assert request("GET", "/v1/system/statistics", headers=auth)[0] == 200
    world.container.api_keys().revoke(world.admin, "rotated", NOW)
    status, _, problem = request("GET", "/v1/system/statistics", headers=auth)
    assert status == 401
    assert "revoked" in problem["detail"]
