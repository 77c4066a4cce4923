"""Rate limits: a token bucket per API key for actions, per client address for landing pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from application.admin.keys import Scope
from entrypoints.api import create_app
from entrypoints.api.ratelimit import RateLimiter
from tests.api.conftest import SEQ0, assert_problem, caught_up, ingest, key, new_container


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_with_time() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=2, clock=clock)
    assert limiter.take("k") is None
    assert limiter.take("k") is None
    wait = limiter.take("k")
    assert wait == pytest.approx(1.0)
    assert limiter.take("other") is None  # every key has its own bucket
    clock.now = 1.0
    assert limiter.take("k") is None


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[tuple[TestClient, str, str]]:
    container = new_container(tmp_path)
    invite = ingest(container, SEQ0.read_bytes())
    app = create_app(container, per_key_per_minute=2, per_ip_per_minute=2)
    with TestClient(app) as client:
        yield caught_up(client, container), str(invite), key(container, Scope.ADMIN, None)


def test_a_key_sending_too_fast_gets_429_with_retry_after(
    strict: tuple[TestClient, str, str],
) -> None:
    client, invite, token = strict
    auth = {"Authorization": f"Bearer {token}"}
    for n in range(2):
        response = client.post(
            f"/v1/invites/{invite}/recipients", headers=auth, json={"address": f"g{n}@example.org"}
        )
        assert response.status_code == 200
    limited = client.post(
        f"/v1/invites/{invite}/recipients", headers=auth, json={"address": "g9@example.org"}
    )
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    # Reads are not limited.
    assert client.get(f"/v1/invites/{invite}", headers=auth).status_code == 200


def test_a_client_address_requesting_landing_pages_too_fast_gets_429(
    strict: tuple[TestClient, str, str],
) -> None:
    client, invite, _ = strict
    for _ in range(2):
        assert client.get(f"/v1/landing/{invite}?sig=x&address=a@example.org").status_code == 404
    limited = client.get(f"/v1/landing/{invite}?sig=x&address=a@example.org")
    assert_problem(limited, 429)
    assert "Retry-After" in limited.headers
