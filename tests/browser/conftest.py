"""Browser tests: the pages people open, in a real headless Chromium (Debian's package).

The server is the real local server (``LocalServer``: SMTP drop box, HTTP API, background
work) on 127.0.0.1 with free ports. Every request the browser makes to any other host is
refused and recorded, so a page that needs the internet (a CDN, a web font) fails its test.
Accessibility is checked with axe-core (npm, ``tests/interop/node``) run in the page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, sync_playwright

from entrypoints.container import Container, bootstrap
from entrypoints.server import LocalServer
from entrypoints.settings import Settings
from tests.conftest import free_port

CHROMIUM = Path(os.environ.get("CIS_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parents[1] / "interop" / "node" / "node_modules" / "axe-core" / "axe.min.js"
# Where screenshots go when asked for (make screenshots): docs/screenshots/.
SHOTS = os.environ.get("CIS_SCREENSHOTS")
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
# The address that signs in to the web app as its administrator.
ADMIN = "admin@example.org"
# What a closed network needs: no background calls home (they are refused, many at a time).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Package scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is started, which breaks any later test that runs its own (Mangum's).
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make install` puts Debian's chromium there")
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
    yield launched
    launched.close()


@dataclass
class Site:
    """The running server, its container, and what the browser tried to fetch elsewhere."""

    base: str
    container: Container
    elsewhere: list[str] = field(default_factory=list)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    # The server must know its own address before it starts: sign-in links point to it.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=tmp_path,
        sender_policy="off",
        parse_budget=0,
        web_base_url=base,
        admins=ADMIN,
    )
    container = bootstrap(settings)
    server = LocalServer(container, http_port=port, smtp_port=0)
    server.start()
    try:
        yield Site(base, container)
    finally:
        server.stop()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    """A page whose requests stay on this machine; the pages' CSP is bypassed so that
    axe (the tests' own script) runs in them."""
    yield from _page(browser, site, bypass_csp=True)


@pytest.fixture
def strict_page(browser: Browser, site: Site) -> Iterator[Page]:
    """A page under the pages' own Content-Security-Policy, as people's browsers see them."""
    yield from _page(browser, site, bypass_csp=False)


def _page(browser: Browser, site: Site, *, bypass_csp: bool) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=bypass_csp)

    def only_here(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            site.elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    opened = context.new_page()
    yield opened
    context.close()


def serious_violations(page: Page) -> list[str]:
    """Return axe-core's serious and critical findings on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['impact']}: {v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def screenshots(page: Page, name: str) -> None:
    """Save the page at desktop and phone width when screenshots are asked for."""
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)
