"""The API docs (Swagger UI at /v1/docs, ReDoc at /v1/redoc) work with no internet: every asset
they name is served by the app itself, and a Content-Security-Policy keeps scripts and styles
to this origin and the page's own nonced inline code."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from entrypoints.api import create_app
from tests.api.conftest import new_container

PAGES = ("/v1/docs", "/v1/redoc")


class Page(HTMLParser):
    """The URLs a page references (every src and href) and its inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, dict[str, str]]] = []  # (url, the tag's attributes)
        self.inline: list[tuple[str, dict[str, str]]] = []  # (tag, attributes)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[int, str] = {}  # index into inline -> its text
        self._open: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        attributes["<tag>"] = tag
        self.tags.append((tag, attributes))
        for name in ("src", "href"):
            if name in attributes:
                self.urls.append((attributes[name], attributes))
        if tag in ("script", "style") and "src" not in attributes:
            self.inline.append((tag, attributes))
            self._open = len(self.inline) - 1

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.texts[self._open] = self.texts.get(self._open, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._open = None


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def policy(header: str) -> dict[str, list[str]]:
    """Return a Content-Security-Policy header as {directive: sources}."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(new_container(tmp_path))) as client:
        yield client


@pytest.mark.parametrize("path", PAGES)
def test_the_page_names_no_other_host(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.urls, "the page references its assets"
    for url, _ in page.urls:
        parts = urlsplit(url)
        # Neither http(s)://elsewhere nor //elsewhere: every URL is a path on this origin.
        assert not parts.scheme, url
        assert not parts.netloc, url
        assert url.startswith("/v1/"), url
    # Nor in the inline code (Swagger UI's validator badge, ReDoc's Google fonts).
    for text in page.texts.values():
        assert "http://" not in text, text
        assert "https://" not in text, text
    assert "fonts.googleapis" not in response.text


@pytest.mark.parametrize("path", PAGES)
def test_every_asset_is_served_with_its_type(client: TestClient, path: str) -> None:
    page = parse(client.get(path).text)
    kinds = set()
    for url, attributes in page.urls:
        tag, rel = attributes["<tag>"], attributes.get("rel", "")
        expected = {
            "script": "javascript",
            "link": "text/css" if rel == "stylesheet" else "image/",
        }[tag]
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert expected in asset.headers["content-type"], (url, asset.headers["content-type"])
        assert len(asset.content) > 1000, url
        kinds.add(expected)
    assert "javascript" in kinds
    if path == "/v1/docs":
        assert "text/css" in kinds


@pytest.mark.parametrize("path", PAGES)
def test_scripts_and_styles_come_from_here_or_bear_the_nonce(client: TestClient, path: str) -> None:
    response = client.get(path)
    directives = policy(response.headers["content-security-policy"])
    assert directives["default-src"] == ["'none'"]
    nonce_sources = [s for s in directives["script-src"] if s.startswith("'nonce-")]
    assert len(nonce_sources) == 1
    nonce = nonce_sources[0].removeprefix("'nonce-").removesuffix("'")
    for directive in ("script-src", "style-src"):
        assert sorted(directives[directive]) == sorted(["'self'", f"'nonce-{nonce}'"])
    assert directives["frame-ancestors"] == ["'none'"]
    page = parse(response.text)
    assert page.inline, "each page starts its viewer with inline code"
    for tag, attributes in page.inline:
        assert attributes.get("nonce") == nonce, tag
    # Every script with a src loads from this origin ('self'), as checked above.
    assert all(
        "src" in attributes or attributes.get("nonce") == nonce
        for tag, attributes in page.tags
        if tag == "script"
    )


@pytest.mark.parametrize("path", PAGES)
def test_each_response_has_its_own_nonce(client: TestClient, path: str) -> None:
    first = client.get(path).headers["content-security-policy"]
    second = client.get(path).headers["content-security-policy"]
    assert first != second


def test_redoc_starts_with_the_nonce_for_its_injected_styles(client: TestClient) -> None:
    # Browsers blank a nonce attribute on <redoc> under a CSP header, so ReDoc is started by a
    # nonced script that hands it the nonce; the bundle must not start itself from spec-url.
    page = parse(client.get("/v1/redoc").text)
    redoc = [attributes for tag, attributes in page.tags if tag == "redoc"]
    assert redoc
    assert "spec-url" not in redoc[0]
    (start,) = [page.texts[i] for i, (tag, _) in enumerate(page.inline) if tag == "script"]
    assert 'Redoc.init("/v1/openapi.json"' in start
    assert "document.currentScript.nonce" in start


def test_the_docs_are_not_operations_of_the_api(client: TestClient) -> None:
    paths = client.get("/v1/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/v1/docs", "/v1/redoc"))]


def test_behind_a_root_path_every_url_moves_with_it(tmp_path: Path) -> None:
    # API Gateway serves the Lambda under a stage prefix, passed on as the root path.
    app = create_app(new_container(tmp_path))
    with TestClient(app, root_path="/Prod") as client:
        for path in PAGES:
            page = parse(client.get(path).text)
            assert all(url.startswith("/Prod/v1/") for url, _ in page.urls), page.urls
            assert any("/Prod/v1/openapi.json" in text for text in page.texts.values())
