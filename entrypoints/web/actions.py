"""The actions on an invite's page: send it to one address, approve a held update, cancel it,
the RSVP report (emailed or downloaded), the sending's progress, and the links to copy.

Pages that only show are GETs; every change is a POST from a form carrying the session's
CSRF token (``entrypoints.web.acting_on``). Uploaded lists are ``entrypoints.web.lists``.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from application.access import may_write
from application.send_types import Recipient
from application.vocabulary import Principal
from entrypoints.web.acting_on import Acting, base_url, opening, posting
from entrypoints.web.action_words import (
    as_sentence,
    copy_links,
    file_name,
    held_update,
    outcome_counts,
    outcome_sentence,
    progress,
    signed_url,
)
from entrypoints.web.invite_page import calendar_copy_links
from entrypoints.web.pages import HEADERS, page
from entrypoints.web.signed import SessionCookie, doors, now

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=128)]


# Route paths with a mark where the invite goes, found once per app: looking a route up by
# name walks the whole routing table, a tenth of the invite page's time.
_INVITE_MARK = "{invite_id}"
_ROUTE_PATHS: dict[tuple[int, str], str] = {}


def _route_path(request: Request, name: str) -> str:
    key = (id(request.app), name)
    found = _ROUTE_PATHS.get(key)
    if found is None:
        found = _ROUTE_PATHS[key] = str(request.app.url_path_for(name, invite_id=_INVITE_MARK))
    return found


def invite_panel(
    request: Request, principal: Principal, invite: UUID, organizer: str
) -> dict[str, Any]:
    """What the invite page's Actions and Links sections need: whether the person may act,
    the signed calendar-file link, and (for those who may send it) the landing links."""
    links, base = doors(request).links, base_url(request)

    def path(name: str) -> str:
        return _route_path(request, name).replace(_INVITE_MARK, str(invite))

    calendar = signed_url(base, path("invite_calendar"), links.calendar_signature(invite))
    may_act = may_write(principal, organizer)
    # The landing signature sends mail: only those who may send the invite ever see it.
    landing = (
        signed_url(base, path("landing"), links.landing_signature(invite)) if may_act else None
    )
    return {
        "may_act": may_act,
        "calendar_url": calendar,
        "copy_links": [*copy_links(landing), *calendar_copy_links(landing)] if landing else [],
    }


@router.post("/invites/{invite_id}/send")
def send_one(
    request: Request,
    invite_id: str,
    csrf: Csrf = "",
    address: Annotated[str, Form(max_length=254)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    session: SessionCookie = None,
) -> Response:
    """Send the invite's current version to one address (once per version)."""
    who = posting(request, session, csrf, invite_id)
    if not isinstance(who, Acting):
        return who
    at = now()
    reading, outbound = doors(request).reading, doors(request).outbound
    recipient = Recipient(address.strip(), " ".join(name.split()) or None, "web")
    (result,) = outbound.send(who.ref, [recipient], now=at)
    return page(
        "action_sent.html.j2",
        **who.context(
            outcome=result.outcome.value,
            sentence=outcome_sentence(result),
            warnings=[as_sentence(w) for w in reading.send_warnings(who.ref, now=at)],
        ),
    )


@router.get("/invites/{invite_id}/sending")
def sending(
    request: Request,
    invite_id: str,
    watch: Annotated[bool, Query()] = False,
    session: SessionCookie = None,
) -> Response:
    """Where the invite's sending stands: sent, pending, failed, bounced, and who waits;
    with ``watch`` the page reloads itself every 2 seconds while anything is pending."""
    who = opening(request, session, invite_id)
    if not isinstance(who, Acting):
        return who
    done = progress(doors(request).reading.recipients(who.ref))
    return page(
        "action_sending.html.j2",
        **who.context(progress=done, watch=watch, refresh=watch and done.pending > 0),
    )


@router.get("/invites/{invite_id}/approve")
def approve_page(request: Request, invite_id: str, session: SessionCookie = None) -> Response:
    """What the held update changes, and the button that sends it."""
    who = opening(request, session, invite_id)
    if not isinstance(who, Acting):
        return who
    reading = doors(request).reading
    since = reading.held_since(who.invite)
    held = held_update(reading.history(who.ref), since) if since else None
    return page("action_approve.html.j2", **who.context(held=held))


@router.post("/invites/{invite_id}/approve")
def approve(
    request: Request, invite_id: str, csrf: Csrf = "", session: SessionCookie = None
) -> Response:
    """Release the held update and send it to everyone who received the invite."""
    who = posting(request, session, csrf, invite_id)
    if not isinstance(who, Acting):
        return who
    if doors(request).reading.held_since(who.invite) is None:
        return _done(who, "Nothing to approve", ["No update of this invitation waits for review."])
    results = doors(request).outbound.approve(who.ref, now=now())
    counts = outcome_counts(results)
    words = ["The update is approved: it goes out to everyone who received the invitation."]
    if not results:
        # Queued for workers, or nobody has had the invitation yet: the doors do not say which.
        words.append(
            "Nothing was sent from this page: the sending is queued, or nobody has received "
            "the invitation yet. The sending page follows it."
        )
    return _done(who, "Update approved", words, counts=counts)


@router.get("/invites/{invite_id}/cancel")
def cancel_page(request: Request, invite_id: str, session: SessionCookie = None) -> Response:
    """Ask to confirm the cancellation: it cannot be undone."""
    who = opening(request, session, invite_id)
    if not isinstance(who, Acting):
        return who
    return page("action_cancel.html.j2", **who.context())


@router.post("/invites/{invite_id}/cancel")
def cancel(
    request: Request, invite_id: str, csrf: Csrf = "", session: SessionCookie = None
) -> Response:
    """Cancel the invite for everyone, as a CANCEL from its organizer would."""
    who = posting(request, session, csrf, invite_id)
    if not isinstance(who, Acting):
        return who
    result = doors(request).inbound.cancel(who.ref, now=now(), by=who.by)
    if result.outcome.value == "cancelled":
        words = ["The event is cancelled: everyone who received the invitation is told."]
        return _done(who, "Event cancelled", words)
    return _done(who, "Not cancelled", [as_sentence(result.reason, result.outcome.value)])


@router.post("/invites/{invite_id}/report")
def email_report(
    request: Request, invite_id: str, csrf: Csrf = "", session: SessionCookie = None
) -> Response:
    """Email the RSVP report (CSV) to the invite's organizer."""
    who = posting(request, session, csrf, invite_id)
    if not isinstance(who, Acting):
        return who
    rows = doors(request).outbound.email_report(who.ref, now=now())
    words = [f"The RSVP report ({len(rows)} rows) is on its way to {who.organizer}."]
    return _done(who, "Report sent", words)


@router.get("/invites/{invite_id}/report.csv")
def report_file(request: Request, invite_id: str, session: SessionCookie = None) -> Response:
    """The RSVP report as a CSV file (cells a spreadsheet would run are neutralized)."""
    who = opening(request, session, invite_id)
    if not isinstance(who, Acting):
        return who
    reading = doors(request).reading
    data = reading.report_file(reading.report(who.ref))
    name = file_name(who.title, "rsvp-report.csv")
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


def _done(
    who: Acting, title: str, words: list[str], counts: dict[str, int] | None = None
) -> Response:
    return page("action_done.html.j2", **who.context(title=title, words=words, counts=counts or {}))
