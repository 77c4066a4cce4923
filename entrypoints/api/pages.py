"""The few HTML pages people see (RSVP links, landing pages): tiny, and every value escaped."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

_HEADERS = {
    # No script, no remote anything; and the page's URL (which holds a token) is never sent on.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def html_page(title: str, *paragraphs: str, status: int = 200) -> HTMLResponse:
    """Return a minimal HTML page; ``title`` and every paragraph are plain text, escaped here."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    document = (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;"
        "padding:0 1rem;line-height:1.5}</style></head>\n"
        f"<body><h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )
    return HTMLResponse(document, status_code=status, headers=_HEADERS)
