"""Cursor pagination: ``?cursor=&limit=`` in, ``{"items": [...], "next_cursor": ...}`` out."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from application.projections.queries import MAX_PAGE, InvalidCursorError

_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,1024}")


class PageParams(BaseModel):
    """Where a page starts and how long it is."""

    cursor: str | None
    limit: int


async def page_params(
    cursor: Annotated[
        str | None,
        Query(max_length=1024, description="The next_cursor of the previous page."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 50,
) -> PageParams:
    """Return the page asked for; raise InvalidCursorError for a cursor not handed out here.

    A coroutine, though it awaits nothing, so FastAPI runs it on the event loop: a plain
    function would cost a hand-off to a worker thread and back on every listing.
    """
    if cursor is not None:
        # Only cursors of our own shape: canonical base64url (of a sort key, or of a sealed
        # one: application/reading/cursors.py); what they hold, the reads check.
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            valid = (
                bool(_CURSOR.fullmatch(cursor))
                and base64.urlsafe_b64encode(raw).decode().rstrip("=") == cursor
            )
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise InvalidCursorError("the cursor is not one this server handed out")
    return PageParams(cursor=cursor, limit=limit)


Paging = Annotated[PageParams, Depends(page_params)]


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list, and the cursor of the next page (null on the last)."""

    items: list[ItemT]
    next_cursor: str | None


def page_of(items: list[Any], cursor: str | None) -> dict[str, Any]:
    """Return the JSON shape of a page."""
    return {"items": items, "next_cursor": cursor}
