"""The few HTML pages people see (RSVP links, landing pages): tiny, and every value escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# The OpenAPI description of a response that is one of these pages.
HTML: dict[str, Any] = {"content": {"text/html": {}}}
# The pages' one stylesheet, a file of this package served under /v1/static/ (no CDN, and the
# policy below forbids inline styles). Relative, as the pages are all /v1/<kind>/<id>: it
# stays right whatever prefix a proxy adds in front.
STATIC = Path(__file__).parent / "static"
_STYLESHEET = "../static/site.css"
_HEADERS = {
    # No script, no inline style, no remote anything, forms post only back here, never framed;
    # and the page's URL (which holds a token) is never sent on.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


def _hidden(fields: Mapping[str, str]) -> str:
    """Return ``fields`` as hidden inputs, every value escaped."""
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )


@dataclass(frozen=True)
class PostForm:
    """A form of one button that posts ``fields`` to ``action`` (a relative URL)."""

    action: str
    button: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def html(self) -> str:
        """Return the form's markup, every value escaped."""
        hidden = _hidden(self.fields)
        return (
            f'<form method="post" action="{escape(self.action)}">{hidden}'
            f'<button type="submit">{escape(self.button)}</button></form>'
        )


@dataclass(frozen=True)
class LinkList:
    """A headed list of links (label, absolute URL) that lead away from the page."""

    heading: str
    links: Sequence[tuple[str, str]]

    def html(self) -> str:
        """Return the list's markup, every value escaped."""
        # nofollow: crawlers that reach a landing page must not follow (and count) its links.
        items = "".join(
            f'<li><a href="{escape(url)}" rel="nofollow noopener">{escape(label)}</a></li>'
            for label, url in self.links
        )
        return f'<h2>{escape(self.heading)}</h2><ul class="links">{items}</ul>'


@dataclass(frozen=True)
class AddressForm:
    """A headed form that asks for an email address and a name, sent with ``fields`` to
    ``action`` (a relative URL) by GET, as the landing link takes them."""

    heading: str
    words: str
    action: str
    button: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def html(self) -> str:
        """Return the form's markup, every value escaped."""
        hidden = _hidden(self.fields)
        return (
            f'<h2 id="updates">{escape(self.heading)}</h2><p>{escape(self.words)}</p>'
            f'<form class="ask" method="get" action="{escape(self.action)}">{hidden}'
            '<label for="address">Your email address</label>'
            '<input id="address" name="address" type="email" required maxlength="254" '
            'autocomplete="email">'
            '<label for="name">Your name (optional)</label>'
            '<input id="name" name="name" type="text" maxlength="200" autocomplete="name">'
            f'<button type="submit">{escape(self.button)}</button></form>'
        )


def html_page(
    title: str,
    *paragraphs: str,
    status: int = 200,
    form: PostForm | None = None,
    facts: Sequence[tuple[str, str]] = (),
    sections: Sequence[LinkList | AddressForm] = (),
) -> HTMLResponse:
    """Return a small HTML page; ``title``, every paragraph and every fact are plain text,
    escaped here. ``facts`` (label, value) describe the event, after the paragraphs;
    ``sections`` follow them; ``form`` (if any) comes last."""
    parts = [f"<p>{escape(p)}</p>" for p in paragraphs]
    if facts:
        rows = "".join(
            f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>" for label, value in facts
        )
        parts.append(f'<dl class="event">{rows}</dl>')
    parts.extend(section.html() for section in sections)
    if form is not None:
        parts.append(form.html())
    body = "\n".join(parts)
    kind = ' class="refused"' if status >= 400 else ""
    document = (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{_STYLESHEET}">'
        f"</head>\n<body{kind}><main>\n<h1>{escape(title)}</h1>\n{body}\n</main></body></html>\n"
    )
    return HTMLResponse(document, status_code=status, headers=_HEADERS)


def install_static(app: FastAPI, prefix: str) -> None:
    """Serve the pages' stylesheet under ``prefix``/static/ (no OpenAPI entry: a mount)."""
    app.mount(f"{prefix}/static", StaticFiles(directory=STATIC), name="page-static")
