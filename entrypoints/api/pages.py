"""The few HTML pages people see (RSVP links, landing pages): tiny, and every value escaped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from fastapi.responses import HTMLResponse

# The OpenAPI description of a response that is one of these pages.
HTML: dict[str, Any] = {"content": {"text/html": {}}}
_HEADERS = {
    # No script, no remote anything, forms post only back here, never framed; and the page's
    # URL (which holds a token) is never sent on.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class PostForm:
    """A form of one button that posts ``fields`` to ``action`` (a relative URL)."""

    action: str
    button: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def html(self) -> str:
        """Return the form's markup, every value escaped."""
        hidden = "".join(
            f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
            for name, value in self.fields.items()
        )
        return (
            f'<form method="post" action="{escape(self.action)}">{hidden}'
            f'<button type="submit">{escape(self.button)}</button></form>'
        )


def html_page(
    title: str, *paragraphs: str, status: int = 200, form: PostForm | None = None
) -> HTMLResponse:
    """Return a minimal HTML page; ``title`` and every paragraph are plain text, escaped here,
    and ``form`` (if any) follows the paragraphs."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    if form is not None:
        body += "\n" + form.html()
    document = (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;"
        "padding:0 1rem;line-height:1.5}button{font-size:1.1rem;padding:.5rem 1.5rem}</style>"
        f"</head>\n<body><h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )
    return HTMLResponse(document, status_code=status, headers=_HEADERS)
