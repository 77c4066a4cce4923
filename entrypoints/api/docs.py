"""Swagger UI and ReDoc for the API, with every asset served by the app itself.

FastAPI's default docs pages load Swagger UI and ReDoc from a CDN (and ReDoc its fonts from
Google), so they stay blank on a machine without internet. This is FastAPI's documented
self-hosting recipe: the default pages are turned off (``docs_url=None``, ``redoc_url=None``),
the assets are mounted with ``StaticFiles`` and the pages are rebuilt with ``get_swagger_ui_html``
and ``get_redoc_html`` pointing at them. The assets are the ones the ``fastapi-offline`` wheel
ships (Swagger UI's bundle and CSS, ReDoc's standalone bundle, a favicon); only its files are
used, not its app factory, so the app keeps its own construction.

Each page carries a Content-Security-Policy that lets scripts and styles come from this origin
only, plus the page's own inline code through a fresh per-response nonce: Swagger UI's page
starts it with an inline script and ReDoc's page has an inline style. ReDoc injects its CSS at
run time into ``<style>`` elements, which it stamps with the nonce given in its options; it
cannot take that from a ``nonce`` attribute on ``<redoc>`` (browsers blank nonce attributes
under a CSP header), so the page starts ReDoc with a nonced script that passes
``document.currentScript.nonce``, instead of letting the bundle start itself from ``spec-url``.
A nonce rather than a hash because the init scripts embed the OpenAPI URL, which moves with the
deployment's root path. The browser still logs two refusals on the ReDoc page, both harmless:
the bundle injects an empty ``<style>`` and perfect-scrollbar's CSS as it loads, before any
option can give them the nonce, and ReDoc runs with native scrollbars so it needs neither. Its
"API docs by Redocly" logo, a remote image, is refused too, and ReDoc then hides it.
"""

from __future__ import annotations

import json
import secrets
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# The wheel's asset folder: swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon.png.
ASSETS = Path(str(files("fastapi_offline") / "static"))

# Swagger UI otherwise shows a badge fetched from the online validator at swagger.io.
SWAGGER_UI_PARAMETERS: dict[str, Any] = {"validatorUrl": None}


def content_security_policy(nonce: str) -> str:
    """Return the docs pages' policy: this origin only, plus inline code that bears ``nonce``.

    ``data:`` images are the icons inside Swagger UI's CSS; ReDoc runs its search index in a
    worker it creates from a ``blob:`` URL.
    """
    source = f"'self' 'nonce-{nonce}'"
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {source}",
            f"style-src {source}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src blob:",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def with_nonce(page: HTMLResponse, edits: dict[str, str]) -> HTMLResponse:
    """Return ``page`` with each of ``edits`` made, ``{nonce}`` filled in, under the policy.

    FastAPI's page builders take no nonce, so it is added to their output; each fragment must
    be found, so a FastAPI upgrade that changes them fails loudly instead of shipping a page
    the browser refuses to run.
    """
    nonce = secrets.token_urlsafe(16)
    html = bytes(page.body).decode("utf-8")
    for old, new in edits.items():
        if old not in html:
            raise RuntimeError(f"docs page no longer contains {old!r}")
        html = html.replace(old, new.replace("{nonce}", nonce))
    return HTMLResponse(html, headers={"Content-Security-Policy": content_security_policy(nonce)})


def script_string(text: str) -> str:
    """Return ``text`` as a JavaScript string literal that cannot end its ``<script>``."""
    return json.dumps(text).replace("<", "\\u003c")


def install_docs(app: FastAPI, prefix: str) -> None:
    """Serve Swagger UI at ``{prefix}/docs`` and ReDoc at ``{prefix}/redoc``, assets included.

    The app must be built with ``docs_url=None`` and ``redoc_url=None``; none of these routes
    is part of the OpenAPI description. The API has no OAuth2 flow, so Swagger UI gets no
    OAuth2 redirect page.
    """
    assets = f"{prefix}/docs/assets"
    app.mount(assets, StaticFiles(directory=ASSETS), name="docs-assets")

    def root(request: Request) -> str:
        # Behind API Gateway's stage prefix every URL the page names moves with the root path.
        return str(request.scope.get("root_path", "")).rstrip("/")

    @app.get(f"{prefix}/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        base = root(request)
        page = get_swagger_ui_html(
            openapi_url=f"{base}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{base}{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{base}{assets}/swagger-ui.css",
            swagger_favicon_url=f"{base}{assets}/favicon.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )
        return with_nonce(page, {"<script>": '<script nonce="{nonce}">'})

    @app.get(f"{prefix}/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        base = root(request)
        openapi_url = f"{base}{app.openapi_url}"
        redoc_js_url = f"{base}{assets}/redoc.standalone.js"
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=redoc_js_url,
            redoc_favicon_url=f"{base}{assets}/favicon.png",
            with_google_fonts=False,
        )
        bundle = f'<script src="{redoc_js_url}"> </script>'
        start = (
            f"Redoc.init({script_string(openapi_url)}, "
            "{nonce: document.currentScript.nonce, nativeScrollbars: true}, "
            'document.querySelector("redoc"))'
        )
        return with_nonce(
            page,
            {
                "<style>": '<style nonce="{nonce}">',
                # Without spec-url the bundle leaves the element to the nonced start below.
                f'<redoc spec-url="{openapi_url}"></redoc>': "<redoc></redoc>",
                bundle: f'{bundle}\n    <script nonce="{{nonce}}">{start}</script>',
            },
        )
