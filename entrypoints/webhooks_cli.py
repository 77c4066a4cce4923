"""``cis webhooks``: register webhook endpoints, rotate their secrets, read their delivery logs.

The CLI is the operator's: it manages every endpoint (as an admin key would); ``add`` says
whose events an endpoint gets (an organizer's, a domain's, or everything).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from application.vocabulary import Principal, Scope
from application.webhooks.front_door import (
    EVENT_TYPES,
    EndpointView,
    InvalidWebhookError,
    UnknownWebhookError,
    Webhooks,
)
from entrypoints import session

webhooks = typer.Typer(
    help="Webhook endpoints: add, list, rotate secrets, disable, enable, remove; their "
    "delivery logs and send-again."
)
out = Console()
err = Console(stderr=True)
# The operator at this machine: every endpoint, as an admin key.
OPERATOR = Principal(kind=Scope.ADMIN, subject=None, key_id="cli")


def _door() -> Webhooks:
    return session.doors().webhooks


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _answers() -> Iterator[None]:
    try:
        yield
    except (UnknownWebhookError, InvalidWebhookError) as error:
        err.print(str(error), markup=False)
        raise typer.Exit(2) from None


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _as_dict(view: EndpointView) -> dict[str, object]:
    return {
        "id": view.key,
        "url": view.url,
        "event_types": list(view.event_types),
        "owner_kind": view.owner_kind,
        "owner": view.owner,
        "contact": view.contact,
        "description": view.description,
        "enabled": view.enabled,
        "disabled_reason": view.disabled_reason,
        "failing_since": view.failing_since.isoformat() if view.failing_since else None,
        "created": view.created.isoformat(),
        "previous_secret_until": (
            view.previous_secret_until.isoformat() if view.previous_secret_until else None
        ),
    }


@webhooks.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where to POST (https://).")],
    event: Annotated[
        list[str],
        typer.Option(
            "--event",
            "-e",
            metavar="TYPE",
            help=f"An event type to send (repeat for more): {', '.join(EVENT_TYPES)}; "
            "'all' for every one.",
        ),
    ],
    organizer: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Events of this organizer's invites.")
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(metavar="DOMAIN", help="Events of this domain's organizers' invites."),
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Every organizer's events.")] = False,
    contact: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="Told by email if the endpoint is disabled."),
    ] = None,
    description: Annotated[str | None, typer.Option(metavar="TEXT")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (with the secret).")] = False,
) -> None:
    """Register an endpoint and print its signing secret: the only time it is shown."""
    scopes = [
        Principal(kind, subject, "cli")
        for kind, subject, chosen in (
            (Scope.ORGANIZER, organizer, organizer is not None),
            (Scope.DOMAIN, domain, domain is not None),
            (Scope.ADMIN, None, admin),
        )
        if chosen
    ]
    if len(scopes) != 1:
        err.print("give exactly one of --organizer ADDRESS, --domain DOMAIN or --admin")
        raise typer.Exit(2)
    types = list(EVENT_TYPES) if "all" in event else event
    with _answers():
        view, secret = _door().register(
            scopes[0], url, types, _now(), contact=contact, description=description
        )
    if as_json:
        print(json.dumps({**_as_dict(view), "secret": secret}, ensure_ascii=False))
    else:
        print(secret)
    err.print(
        f"Webhook endpoint {view.key} added. Store the secret now: it will not be shown again.",
        markup=False,
    )


@webhooks.command("list")
def list_endpoints(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List every endpoint (never their secrets)."""
    views = _door().endpoints(OPERATOR, _now())
    if as_json:
        for view in views:
            print(json.dumps(_as_dict(view), ensure_ascii=False))
        return
    table = Table("id", "url", "events", "owner", "state", "failing since")
    for view in views:
        state = "enabled" if view.enabled else f"disabled: {view.disabled_reason}"
        owner = f"{view.owner_kind} {view.owner or ''}".strip()
        events = ", ".join(view.event_types)
        table.add_row(view.key, view.url, events, owner, state, _when(view.failing_since))
    out.print(table)


@webhooks.command("rotate")
def rotate(
    endpoint: Annotated[str, typer.Argument(help="The endpoint's id (ep_...).")],
) -> None:
    """Give an endpoint a new secret and print it (shown once); the old one signs too for
    24 hours."""
    with _answers():
        view, secret = _door().rotate(OPERATOR, endpoint, _now())
    print(secret)
    err.print(
        f"New secret of {view.key}; the previous one is valid until "
        f"{_when(view.previous_secret_until)}.",
        markup=False,
    )


@webhooks.command("disable")
def disable(endpoint: Annotated[str, typer.Argument(help="The endpoint's id.")]) -> None:
    """Stop delivering to an endpoint."""
    with _answers():
        _door().update(OPERATOR, endpoint, _now(), enabled=False)
    err.print(f"{endpoint} disabled.", markup=False)


@webhooks.command("enable")
def enable(endpoint: Annotated[str, typer.Argument(help="The endpoint's id.")]) -> None:
    """Deliver to an endpoint again (its failures counted afresh)."""
    with _answers():
        _door().update(OPERATOR, endpoint, _now(), enabled=True)
    err.print(f"{endpoint} enabled.", markup=False)


@webhooks.command("remove")
def remove(endpoint: Annotated[str, typer.Argument(help="The endpoint's id.")]) -> None:
    """Remove an endpoint for good."""
    with _answers():
        _door().remove(OPERATOR, endpoint, _now())
    err.print(f"{endpoint} removed.", markup=False)


@webhooks.command("deliveries")
def deliveries(
    endpoint: Annotated[str, typer.Argument(help="The endpoint's id.")],
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first.")] = 20,
    cursor: Annotated[str | None, typer.Option(help="The next page's cursor.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Show an endpoint's delivery log: each message's status, attempts and latency."""
    with _answers():
        page = _door().deliveries(OPERATOR, endpoint, limit=limit, cursor=cursor)
    if as_json:
        for message in page.messages:
            line = {
                "webhook_id": message.webhook_id,
                "event_type": message.event_type,
                "status": message.status,
                "created": message.created.isoformat(),
                "next_attempt": message.next_attempt.isoformat() if message.next_attempt else None,
                "attempts": [{**vars(a), "at": a.at.isoformat()} for a in message.attempts],
            }
            print(json.dumps(line, ensure_ascii=False))
    else:
        table = Table("webhook id", "type", "status", "attempts", "last", "ms", "next")
        for message in page.messages:
            last = message.attempts[-1] if message.attempts else None
            answer = "-" if last is None else str(last.status_code or last.error or "-")
            latency = f"{last.latency_ms:.0f}" if last else "-"
            table.add_row(
                message.webhook_id,
                message.event_type,
                message.status,
                str(len(message.attempts)),
                answer,
                latency,
                _when(message.next_attempt),
            )
        out.print(table)
    if page.cursor:
        err.print(f"more: --cursor {page.cursor}", markup=False)


@webhooks.command("send-again")
def send_again(
    endpoint: Annotated[str, typer.Argument(help="The endpoint's id.")],
    webhook_id: Annotated[str, typer.Argument(help="The message's webhook id (msg_...).")],
) -> None:
    """Deliver a message again (same webhook id, a fresh retry schedule): the background
    work (cis serve) or the work queue sends it."""
    with _answers():
        view = _door().send_again(OPERATOR, endpoint, webhook_id, _now())
    err.print(f"{view.webhook_id} queued again.", markup=False)


@webhooks.command("run")
def run_once() -> None:
    """Fan out new events and attempt every due delivery once, here (what cis serve's
    background work does every second); print what it did as JSON."""
    done = _door().run(_now())
    print(
        json.dumps(
            {
                "recorded": done.fanned_out,
                "attempted": len(done.attempts),
                "delivered": done.delivered,
            }
        )
    )
