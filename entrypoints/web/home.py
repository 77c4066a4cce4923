"""The signed-in home page: whose invitations the session may read, upcoming then past.

An organizer sees their own, a domain owner their domain's, an admin the whole server's with
its totals. Each list is read a page at a time from the views (ordered ranges, no scans);
a search by title filters on the server, so it works without JavaScript, and search.js
filters the rows already shown as one types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from application.front_doors import FrontDoors
from application.projections.queries import InvalidCursorError, Page
from application.vocabulary import Principal, Scope
from entrypoints.web.invite_page import when
from entrypoints.web.pages import page, scripted_page
from entrypoints.web.signed import SessionCookie, doors, now, shown, signed_in, to_sign_in
from entrypoints.web_paths import feed_urls

router = APIRouter(include_in_schema=False)
PAGE = 50  # invites per page of each list
READS = 10  # pages read at most for one answer while a filter keeps few of them
# The answers each row counts, in the order people read them (the views' own names).
ANSWERS = ("accepted", "declined", "tentative", "no answer", "bounced")
NO_START = "~"  # the views' start key of an invite without a start (it sorts last)

Cursor = Annotated[str | None, Query(max_length=512)]
Search = Annotated[str, Query(max_length=200)]
Read = Callable[[str | None], Page]


@dataclass(frozen=True)
class Row:
    """One invitation as a list shows it."""

    invite: str
    title: str
    when: str
    status: str
    updates: int
    invited: int
    answers: tuple[int, ...]  # in the order of ANSWERS
    held: bool


@dataclass(frozen=True)
class Listed:
    """One page of a list as shown, and the link to its next page (None: the last)."""

    rows: list[Row]
    next_page: str | None


def matches(query: str) -> Callable[[Mapping[str, Any]], bool]:
    """Return the test "its title holds ``query``", ignoring case (every title for none)."""
    wanted = query.strip().casefold()
    return lambda item: wanted in str(item.get("title") or "").casefold()


def collect(read: Read, keep: Callable[[Mapping[str, Any]], bool], cursor: str | None) -> Page:
    """Return the items ``keep`` keeps, reading pages from ``cursor`` until one page's worth
    is found (or ``READS`` pages are read); the cursor continues after the last page read."""
    found: list[dict[str, Any]] = []
    for _ in range(READS):
        listed = read(cursor)
        found += [item for item in listed.items if keep(item)]
        cursor = listed.cursor
        if cursor is None or len(found) >= PAGE:
            break
    return Page(found, cursor)


def is_upcoming(item: Mapping[str, Any], moment: datetime) -> bool:
    """Return whether the invite is still to come: not cancelled, starting from ``moment``."""
    starts = _starts(item)
    return (
        item.get("status") != "cancelled"
        and starts != NO_START
        and starts >= moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def rows(front: FrontDoors, items: list[dict[str, Any]]) -> list[Row]:
    """Return the rows of ``items`` with each invite's counts and review hold."""
    shown_rows = []
    held = front.reading.held_among([UUID(str(item["invite"])) for item in items])
    for item in items:
        invite = UUID(str(item["invite"]))
        statistics = front.reading.views.statistics(invite) or {}
        by_status: Mapping[str, int] = statistics.get("by_status", {})
        shown_rows.append(
            Row(
                invite=str(invite),
                title=str(item.get("title") or "(no title)"),
                when=when(item.get("start"), item.get("timezone")) or "No time given",
                status=str(item.get("status") or ""),
                updates=int(item.get("update_count") or 0),
                invited=int(statistics.get("invited", 0)),
                answers=tuple(int(by_status.get(name, 0)) for name in ANSWERS),
                held=invite in held,
            )
        )
    return shown_rows


def upcoming_link(request: Request, front: FrontDoors, who: str) -> str:
    """Return the signed address of the public upcoming page of ``who``."""
    settings = request.app.state.api.container.settings()
    base = (settings.web_base_url or str(request.base_url)).rstrip("/")
    signature = front.links.upcoming_signature(who)
    return f"{base}/upcoming/{quote(who, safe='@')}?{urlencode({'sig': signature})}"


def feed_link(request: Request, front: FrontDoors, principal: Principal) -> dict[str, str] | None:
    """Return the principal's own subscription feed (``webcal``, ``url``, and how often
    calendar apps read it: ``reads``); None for admins, whose invitations are everyone's."""
    if principal.kind is Scope.ADMIN:
        return None
    kind = "domain" if principal.kind is Scope.DOMAIN else "organizer"
    link = front.feeds.link_for(principal, kind, str(principal.subject))
    settings = request.app.state.api.container.settings()
    base = (settings.web_base_url or str(request.base_url)).rstrip("/")
    url, webcal = feed_urls(base, link.kind, link.subject, link.signature)
    views = front.reading.views
    totals = (
        views.domain_statistics(link.subject)
        if kind == "domain"
        else views.organizer_statistics(link.subject)
    )
    return {"url": url, "webcal": webcal, "reads": str(totals["feed_reads"].get(kind, 0))}


@router.get("/")
def home(
    request: Request,
    q: Search = "",
    up: Cursor = None,
    past: Cursor = None,
    session: SessionCookie = None,
) -> Response:
    """The signed-in home page; the sign-in page for anyone else."""
    current = signed_in(request, session)
    if current is None:
        return to_sign_in()
    principal, front, moment = current.principal, doors(request), now()
    settings = request.app.state.api.container.settings()
    wanted = matches(q)
    cursors = {"q": q.strip() or None, "up": up, "past": past}

    def linked(name: str, listed: Page) -> Listed:
        following = {**cursors, name: listed.cursor}
        query = urlencode({k: v for k, v in following.items() if v})
        return Listed(rows(front, listed.items), f"/?{query}#{name}" if listed.cursor else None)

    try:
        coming, gone = _lists(front, principal, wanted, moment, up, past)
    except InvalidCursorError:
        return page("not_found.html.j2", status=404, **shown(current))
    who = _whose(principal)
    return scripted_page(
        "home.html.j2",
        kind=principal.kind.value,
        who=who,
        q=q.strip(),
        first_page=_first_page(q) if up or past else None,
        statistics=front.reading.views.system_statistics()
        if principal.kind is Scope.ADMIN
        else None,
        upcoming=linked("up", coming),
        past=linked("past", gone),
        upcoming_page=upcoming_link(request, front, who) if who else None,
        feed=feed_link(request, front, principal),
        drop_box=settings.create_address,
        **shown(current),
    )


def _lists(
    front: FrontDoors,
    principal: Principal,
    wanted: Callable[[Mapping[str, Any]], bool],
    moment: datetime,
    up: str | None,
    past: str | None,
) -> tuple[Page, Page]:
    """Return the page of invites to come (soonest first) and the page of the others (the
    latest start first) that the principal reads and ``wanted`` keeps."""
    if principal.kind is Scope.ADMIN:
        # Nothing lists the whole server by start: one page of everything, split in two.
        views = front.reading.views
        everything = collect(lambda c: views.all_invites(cursor=c, limit=PAGE), wanted, past)
        soon = sorted((i for i in everything.items if is_upcoming(i, moment)), key=_starts)
        rest = [i for i in everything.items if not is_upcoming(i, moment)]
        coming, gone = Page(soon, None), Page(rest, everything.cursor)
    else:
        upcoming, listing = _reads(front, principal, moment)
        coming = collect(upcoming, wanted, up)
        gone = collect(listing, lambda i: wanted(i) and not is_upcoming(i, moment), past)
    # Pages follow the listing (newest change first); within one, the latest start first.
    return coming, Page(_latest_first(gone.items), gone.cursor)


def _first_page(q: str) -> str:
    return "/" + (f"?{urlencode({'q': q.strip()})}" if q.strip() else "")


def _starts(item: Mapping[str, Any]) -> str:
    return str(item.get("starts_at") or NO_START)


def _latest_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return invites with a start, the latest first, then those without one."""
    dated = sorted((i for i in items if _starts(i) != NO_START), key=_starts, reverse=True)
    return dated + [i for i in items if _starts(i) == NO_START]


def _whose(principal: Principal) -> str | None:
    """Return the organizer or domain whose invites the principal reads (None: everyone's)."""
    return None if principal.kind is Scope.ADMIN else str(principal.subject)


def _reads(front: FrontDoors, principal: Principal, moment: datetime) -> tuple[Read, Read]:
    """Return the reads of the principal's upcoming invites (soonest first) and of all
    their invites (newest change first)."""
    views, subject = front.reading.views, str(principal.subject)
    if principal.kind is Scope.DOMAIN:
        return (
            lambda c: views.upcoming(now=moment, domain=subject, cursor=c, limit=PAGE),
            lambda c: views.domain_invites(subject, cursor=c, limit=PAGE),
        )
    return (
        lambda c: views.upcoming(now=moment, organizer=subject, cursor=c, limit=PAGE),
        lambda c: views.organizer_invites(subject, sort="modified", cursor=c, limit=PAGE),
    )
