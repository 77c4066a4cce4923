"""Subscription feeds: the public signed feed, its links, and the audiences organizers name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from application.feeds.front_door import AudienceView, FeedLinkInfo
from entrypoints.api.auth import Caller, State
from entrypoints.api.problems import ProblemError, problem_responses
from entrypoints.api.state import ApiState
from entrypoints.web_paths import feed_urls

router = APIRouter(tags=["feeds"])
_T = TypeVar("_T")

_CALENDAR = "text/calendar; charset=utf-8"
_KIND = Path(description="organizer, domain or audience", max_length=20)
_SUBJECT = Path(
    max_length=320,
    description="The organizer's address, the domain, or the audience's id",
)
_NAME = Path(max_length=200, description="The audience's name (any case and spacing)")
_MANAGE = problem_responses(401, 403, 404, 422)


class FeedLinkOut(BaseModel):
    """A feed's current signed link: anyone holding it can subscribe, until it is rotated."""

    kind: str = Field(description="organizer, domain or audience")
    subject: str = Field(description="The organizer's address, the domain, or the audience id")
    name: str = Field(description="The calendar's name as subscribers see it")
    url: str = Field(description="The feed's https:// address (?sig= included)")
    webcal_url: str = Field(description="The same address as webcal://, to subscribe in one tap")


class AudienceOut(BaseModel):
    """An organizer's named list of invites, with its feed's link."""

    id: str
    organizer: str
    name: str
    invites: list[str] = Field(description="The invites' ids, in the order they were added")
    feed: FeedLinkOut


class AudienceInvites(BaseModel):
    """Invites to list in an audience (the organizer's own)."""

    invites: list[UUID] = Field(min_length=1, max_length=1000)


class AudienceList(BaseModel):
    """An organizer's audiences, by name."""

    audiences: list[AudienceOut]


@router.get(
    "/feeds/{kind}/{subject}.ics",
    name="feed",
    summary="A subscription feed (public, with its signed link)",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The feed (METHOD:PUBLISH)"},
        304: {"description": "Unchanged since the ETag or date the client sent"},
        **problem_responses(404, 422),
    },
)
def feed(
    kind: Annotated[str, _KIND],
    subject: Annotated[str, _SUBJECT],
    state: State,
    sig: Annotated[str | None, Query(max_length=256)] = None,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
    if_modified_since: Annotated[str | None, Header(max_length=100)] = None,
) -> Response:
    """A subscription feed, for whoever holds its signed link: upcoming and recent events.

    Events that started in the last 30 days or later, or changed in the last 30 days, at
    most 1,000; cancelled ones for 30 days after their cancellation, as STATUS:CANCELLED.
    Each has the UID and SEQUENCE of its invitations, and no attendee. Answers 304 to an
    unchanged `If-None-Match` (or, without one, `If-Modified-Since`). A wrong, rotated or
    unknown link is a 404.
    """
    document = state.doors.feeds.read(kind, subject, sig, datetime.now(UTC))
    headers = {"ETag": document.etag, "Cache-Control": "no-cache"}
    if document.last_modified is not None:
        headers["Last-Modified"] = format_datetime(document.last_modified, usegmt=True)
    if _unchanged(document.etag, document.last_modified, if_none_match, if_modified_since):
        return Response(status_code=304, headers=headers)
    return Response(
        document.body,
        media_type=_CALENDAR,
        headers={**headers, "Content-Disposition": f'inline; filename="{kind}.ics"'},
    )


def _unchanged(
    etag: str, modified: datetime | None, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """Return whether the client's copy is current (RFC 9110 13.1.2, 13.1.3)."""
    if if_none_match is not None:
        # If-None-Match compares weakly and, when present, decides alone.
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if if_modified_since is None or modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return modified.replace(microsecond=0) <= since


def _link(request: Request, state: ApiState, info: FeedLinkInfo) -> FeedLinkOut:
    base = (state.container.settings().web_base_url or str(request.base_url)).rstrip("/")
    url, webcal = feed_urls(base, info.kind, info.subject, info.signature)
    return FeedLinkOut(
        kind=info.kind, subject=info.subject, name=info.name, url=url, webcal_url=webcal
    )


def _audience(request: Request, state: ApiState, view: AudienceView) -> AudienceOut:
    info = state.doors.feeds.link("audience", view.id)
    return AudienceOut(
        id=view.id,
        organizer=view.organizer,
        name=view.name,
        invites=view.invites,
        feed=_link(request, state, info),
    )


def _checked(use: Callable[[], _T]) -> _T:
    """Return what ``use`` returns, or the 422 saying why an audience cannot be so."""
    try:
        return use()
    except ValueError as error:  # InvalidAudienceError: a name or a list no audience can have
        raise ProblemError(422, str(error)) from None


@router.get(
    "/organizers/{address}/feed",
    response_model=FeedLinkOut,
    responses=_MANAGE,
    summary="The organizer feed's signed link",
)
def organizer_feed(address: str, request: Request, caller: Caller, state: State) -> FeedLinkOut:
    """The signed link of the organizer's feed (their own key, their domain's, an admin's)."""
    return _link(request, state, state.doors.feeds.link_for(caller, "organizer", address))


@router.post(
    "/organizers/{address}/feed/rotate",
    response_model=FeedLinkOut,
    responses=_MANAGE,
    summary="Revoke the organizer feed's link",
)
def rotate_organizer_feed(
    address: str, request: Request, caller: Caller, state: State
) -> FeedLinkOut:
    """Revoke the organizer feed's link and return the new one: the old URL answers 404."""
    info = state.doors.feeds.rotate(caller, "organizer", address, datetime.now(UTC))
    return _link(request, state, info)


@router.get(
    "/domains/{domain}/feed",
    response_model=FeedLinkOut,
    responses=_MANAGE,
    summary="The domain feed's signed link",
)
def domain_feed(domain: str, request: Request, caller: Caller, state: State) -> FeedLinkOut:
    """The signed link of the feed of every organizer of a domain (its owner's key, an
    admin's)."""
    return _link(request, state, state.doors.feeds.link_for(caller, "domain", domain))


@router.post(
    "/domains/{domain}/feed/rotate",
    response_model=FeedLinkOut,
    responses=_MANAGE,
    summary="Revoke the domain feed's link",
)
def rotate_domain_feed(domain: str, request: Request, caller: Caller, state: State) -> FeedLinkOut:
    """Revoke the domain feed's link and return the new one: the old URL answers 404."""
    info = state.doors.feeds.rotate(caller, "domain", domain, datetime.now(UTC))
    return _link(request, state, info)


@router.get(
    "/organizers/{address}/audiences",
    response_model=AudienceList,
    responses=_MANAGE,
    summary="The organizer's audiences",
)
def audiences(address: str, request: Request, caller: Caller, state: State) -> AudienceList:
    """The organizer's audiences: named lists of their invites, each with its own feed."""
    views = state.doors.feeds.audiences(caller, address)
    return AudienceList(audiences=[_audience(request, state, view) for view in views])


@router.get(
    "/organizers/{address}/audiences/{name}",
    response_model=AudienceOut,
    responses=_MANAGE,
    summary="One audience and its feed's link",
)
def audience(
    address: str, name: Annotated[str, _NAME], request: Request, caller: Caller, state: State
) -> AudienceOut:
    """One audience, its invites and its feed's link."""
    view = _checked(lambda: state.doors.feeds.audience(caller, address, name))
    return _audience(request, state, view)


@router.post(
    "/organizers/{address}/audiences/{name}/invites",
    response_model=AudienceOut,
    responses=_MANAGE,
    summary="List invites in an audience",
)
def add_invites(
    address: str,
    name: Annotated[str, _NAME],
    body: AudienceInvites,
    request: Request,
    caller: Caller,
    state: State,
) -> AudienceOut:
    """List invites of the organizer in the audience, creating it on first use (at most
    1,000 invites an audience; the organizer's own key or an admin's)."""
    view = _checked(
        lambda: state.doors.feeds.add_to_audience(
            caller, address, name, body.invites, datetime.now(UTC)
        )
    )
    return _audience(request, state, view)


@router.delete(
    "/organizers/{address}/audiences/{name}/invites/{invite_id}",
    response_model=AudienceOut,
    responses=_MANAGE,
    summary="Take an invite out of an audience",
)
def remove_invite(
    address: str,
    name: Annotated[str, _NAME],
    invite_id: UUID,
    request: Request,
    caller: Caller,
    state: State,
) -> AudienceOut:
    """Stop listing an invite in the audience; its feed drops it at the next read."""
    view = _checked(
        lambda: state.doors.feeds.remove_from_audience(
            caller, address, name, [invite_id], datetime.now(UTC)
        )
    )
    return _audience(request, state, view)


@router.post(
    "/organizers/{address}/audiences/{name}/feed/rotate",
    response_model=AudienceOut,
    responses=_MANAGE,
    summary="Revoke an audience feed's link",
)
def rotate_audience_feed(
    address: str, name: Annotated[str, _NAME], request: Request, caller: Caller, state: State
) -> AudienceOut:
    """Revoke the audience feed's link and return the audience with the new one."""
    feeds = state.doors.feeds
    view = _checked(lambda: feeds.audience(caller, address, name))
    feeds.rotate(caller, "audience", view.id, datetime.now(UTC))
    return _audience(request, state, view)
