"""``cis feeds``: subscription feed links (print, rotate) and the audiences they can serve."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import typer

from application.access import NotVisibleError
from application.feeds.front_door import FeedLinkInfo, Feeds
from application.vocabulary import checked_base_url
from entrypoints import session
from entrypoints.settings import Settings
from entrypoints.web_paths import feed_urls

feeds = typer.Typer(help="Subscription feeds: print or rotate their links; name audiences.")

_ORGANIZER = typer.Option(
    "--organizer", metavar="ADDRESS", help="The organizer's feed (or, with --audience, whose)."
)
_DOMAIN = typer.Option("--domain", metavar="DOMAIN", help="The feed of a domain's organizers.")
_AUDIENCE = typer.Option(
    "--audience", metavar="NAME", help="The feed of one of the organizer's audiences."
)
_BASE = typer.Option(
    "--web-base-url",
    help="Where the server is reached, e.g. https://invites.example.org "
    "(default: CIS_WEB_BASE_URL).",
)


def _doors_feeds(base: str | None) -> tuple[Feeds, str]:
    settings = session.settings() or Settings()
    chosen = base or settings.web_base_url
    if chosen is None:
        raise typer.BadParameter(
            "say where the server is reached: --web-base-url https://HOST or CIS_WEB_BASE_URL",
            param_hint="--web-base-url",
        )
    return session.doors().feeds, checked_base_url(chosen)


def _which(organizer: str | None, domain: str | None, audience: str | None) -> tuple[str, str]:
    if audience is not None:
        if organizer is None or domain is not None:
            raise typer.BadParameter("--audience NAME needs --organizer ADDRESS (and no --domain)")
        return "audience", audience
    if (organizer is None) == (domain is None):
        raise typer.BadParameter("name one of --organizer, --domain or --audience")
    return ("organizer", organizer) if organizer is not None else ("domain", str(domain))


def _resolved(feeds_door: Feeds, kind: str, subject: str, organizer: str | None) -> FeedLinkInfo:
    try:
        if kind == "audience":
            return feeds_door.audience_link(str(organizer), subject)
        return feeds_door.link(kind, subject)
    except (NotVisibleError, ValueError) as error:
        raise typer.BadParameter(str(error) or "no such feed") from None


def _print(info: FeedLinkInfo, base: str) -> None:
    url, webcal = feed_urls(base, info.kind, info.subject, info.signature)
    typer.echo(webcal)
    typer.echo(url)


@feeds.command("url")
def url(
    organizer: Annotated[str | None, _ORGANIZER] = None,
    domain: Annotated[str | None, _DOMAIN] = None,
    audience: Annotated[str | None, _AUDIENCE] = None,
    web_base_url: Annotated[str | None, _BASE] = None,
) -> None:
    """Print a feed's webcal:// link, then its https:// one."""
    door, base = _doors_feeds(web_base_url)
    kind, subject = _which(organizer, domain, audience)
    _print(_resolved(door, kind, subject, organizer), base)


@feeds.command("rotate")
def rotate(
    organizer: Annotated[str | None, _ORGANIZER] = None,
    domain: Annotated[str | None, _DOMAIN] = None,
    audience: Annotated[str | None, _AUDIENCE] = None,
    web_base_url: Annotated[str | None, _BASE] = None,
) -> None:
    """Revoke a feed's link (its subscribers get 404 from now on) and print the new one."""
    door, base = _doors_feeds(web_base_url)
    kind, subject = _which(organizer, domain, audience)
    current = _resolved(door, kind, subject, organizer)
    _print(door.rotate(None, current.kind, current.subject, datetime.now(UTC)), base)


@feeds.command("add")
def add(
    organizer: Annotated[str, typer.Argument(metavar="ORGANIZER")],
    name: Annotated[str, typer.Argument(metavar="AUDIENCE")],
    invites: Annotated[list[UUID], typer.Argument(metavar="INVITE...")],
) -> None:
    """List the organizer's INVITEs (ids) in AUDIENCE, creating it on first use."""
    try:
        view = session.doors().feeds.add_to_audience(
            None, organizer, name, invites, datetime.now(UTC)
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    typer.echo(f"{view.name}: {len(view.invites)} invites")


@feeds.command("remove")
def remove(
    organizer: Annotated[str, typer.Argument(metavar="ORGANIZER")],
    name: Annotated[str, typer.Argument(metavar="AUDIENCE")],
    invites: Annotated[list[UUID], typer.Argument(metavar="INVITE...")],
) -> None:
    """Stop listing INVITEs in AUDIENCE."""
    try:
        view = session.doors().feeds.remove_from_audience(
            None, organizer, name, invites, datetime.now(UTC)
        )
    except (NotVisibleError, ValueError) as error:
        raise typer.BadParameter(str(error)) from None
    typer.echo(f"{view.name}: {len(view.invites)} invites")
