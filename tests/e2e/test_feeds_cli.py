"""``cis feeds`` as an operator runs it: real processes, a real data folder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from application.access import NotVisibleError
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.e2e.test_cli import cis

BASE = "https://invites.example.org"


def test_url_prints_a_working_link_and_rotate_revokes_it(tmp_path: Path) -> None:
    shown = cis(tmp_path, "feeds", "url", "--organizer", "Ann@Example.org", "--web-base-url", BASE)
    assert shown.returncode == 0, shown.stderr
    webcal, url = shown.stdout.split()
    assert webcal == "webcal://" + url.removeprefix("https://")
    assert url.startswith(f"{BASE}/v1/feeds/organizer/ann@example.org.ics?sig=")

    rotated = cis(
        tmp_path, "feeds", "rotate", "--organizer", "ann@example.org", "--web-base-url", BASE
    )
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.split()[1]
    assert new != url

    feeds = bootstrap(Settings(data_dir=tmp_path)).front_doors().feeds
    now = datetime.now(UTC)
    with pytest.raises(NotVisibleError):
        feeds.read("organizer", "ann@example.org", _signature(url), now)
    assert feeds.read("organizer", "ann@example.org", _signature(new), now).events == 0


def test_url_needs_one_feed_and_an_audience_that_exists(tmp_path: Path) -> None:
    none = cis(tmp_path, "feeds", "url", "--web-base-url", BASE)
    assert none.returncode == 2
    assert "name one of --organizer, --domain or --audience" in none.stderr
    missing = cis(
        tmp_path,
        "feeds",
        "url",
        "--organizer",
        "ann@example.org",
        "--audience",
        "Board",
        "--web-base-url",
        BASE,
    )
    assert missing.returncode == 2
    assert "has no audience called 'Board'" in missing.stderr


def _signature(url: str) -> str:
    return parse_qs(urlsplit(url).query)["sig"][0]
