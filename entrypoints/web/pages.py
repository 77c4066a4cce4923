"""Rendering the web app's pages: Jinja2 templates, every value escaped, no inline script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape


class _Pages(Environment):
    """Jinja2 for pages drawn from the views' rows: ``row.address`` reads a dict's key first.

    The default tries an attribute first, and a dict has none by those names: every lookup
    raised and caught an AttributeError, hundreds a page (50 attendees, 4 cells each). A
    key is read only when the dict has it, so ``row.get(...)`` stays the method.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Return ``obj.attribute``: a dict's key of that name if it has one."""
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_TEMPLATES = _Pages(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    # The templates are part of the installed package: checking each one's file for changes
    # on every page (a stat per template and include) would cost every request for nothing.
    auto_reload=False,
)
# Scripts: none. Styles: the app's own stylesheet only. Forms post back here only.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


# Pages with a search box may also run the app's own script files (search.js), never inline
# code; they work without them.
SCRIPTED_HEADERS = {
    **HEADERS,
    "Content-Security-Policy": HEADERS["Content-Security-Policy"].replace(
        "default-src 'none';", "default-src 'none'; script-src 'self';"
    ),
}


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Return the page ``template`` rendered with ``context``."""
    html = _TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def scripted_page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Return the page ``template`` rendered with ``context``, allowed the app's scripts."""
    html = _TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=SCRIPTED_HEADERS)
