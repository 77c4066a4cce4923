"""``make run`` opens on the sign-in page, and the demo's printed link signs its organizer in
to a home page with the sample invites."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.e2e.test_serve_logs import demo_server


def test_the_demo_opens_on_sign_in_and_its_link_shows_the_sample_invites(tmp_path: Path) -> None:
    with demo_server(tmp_path / "data") as (_, _, printed), httpx.Client() as browser:
        http = printed["http"]
        opened = browser.get(http + "/", follow_redirects=True)
        assert str(opened.url) == printed["web"] == http + "/sign-in"
        assert "Email me a sign-in link" in opened.text

        # The link names CIS_WEB_BASE_URL (any port in this test): follow it on this server.
        link = http + urlsplit(printed["sign_in"]).path
        assert "organizer@demo.example" in browser.get(link).text
        signed = browser.post(link, follow_redirects=True)

        assert signed.status_code == 200
        assert "Quarterly planning" in signed.text
        assert browser.post(link).status_code == 400  # the link works once
