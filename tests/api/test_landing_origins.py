"""Landing origins: what an organizer's landing pages may redirect to, set by the operator."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.organizer import InvalidOriginError, landing_origin, origin_of
from tests.api.conftest import new_container
from tests.driver import driver
from tests.e2e.test_cli import cis


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://Shop.Example.com", "https://shop.example.com"),
        ("https://shop.example.com/", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_an_origin_is_normalized(text: str, origin: str) -> None:
    assert landing_origin(text) == origin


@pytest.mark.parametrize(
    "text",
    [
        "shop.example.com",
        "ftp://shop.example.com",
        "https://shop.example.com/path",
        "https://shop.example.com/?q=1",
        "https://user@shop.example.com",
        "https://shop.example.com:99999",
        "javascript:alert(1)",
        "https://",
    ],
)
def test_what_is_not_an_origin_is_refused(text: str) -> None:
    with pytest.raises(InvalidOriginError):
        landing_origin(text)


def test_the_origin_of_a_url_keeps_scheme_host_and_a_non_default_port() -> None:
    assert origin_of("https://a.example.com:8443/x?y#z") == "https://a.example.com:8443"
    assert origin_of("//a.example.com/") is None
    assert origin_of("https://a.example.com@b.example.net/") is None


def test_the_registry_records_origins_and_replaces_them(tmp_path: Path) -> None:
    registry = driver(new_container(tmp_path)).registry
    now = datetime.now(UTC)
    registry.set_landing_origins("Org@Example.com", ["https://a.example.com/"], now=now)
    record = registry.set_landing_origins(
        "org@example.com", ["https://b.example.com", "https://B.example.com"], now=now
    )
    assert record.landing_origins == ("https://b.example.com",)
    assert record.allows_landing("https://b.example.com")
    assert not record.allows_landing("https://a.example.com")
    with pytest.raises(InvalidOriginError):
        registry.set_landing_origins("org@example.com", ["https://c.example.com/x"], now=now)
    found = registry.find("org@example.com")
    assert found is not None
    assert found.landing_origins == ("https://b.example.com",)


def test_cis_organizers_origins_sets_shows_and_clears_them(tmp_path: Path) -> None:
    done = cis(tmp_path, "organizers", "origins", "org@example.com", "https://A.example.com")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["landing_origins"] == ["https://a.example.com"]
    shown = cis(tmp_path, "organizers", "show", "org@example.com")
    assert json.loads(shown.stdout)["landing_origins"] == ["https://a.example.com"]
    bad = cis(tmp_path, "organizers", "origins", "org@example.com", "https://a.example.com/path")
    assert bad.returncode == 2
    assert "not a web origin" in bad.stderr
    cleared = cis(tmp_path, "organizers", "origins", "org@example.com")
    assert json.loads(cleared.stdout)["landing_origins"] == []
