"""``cis organizers``: allow, suspend or limit the organizers who may create invites."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from domain.organizer import InvalidOriginError
from entrypoints import session

organizers = typer.Typer(help="The organizer registry: allow, suspend or limit organizers.")
err = Console(stderr=True)


def _print_organizer(record: object) -> None:
    fields = (
        "address",
        "standing",
        "max_events",
        "invite_count",
        "suspension_reason",
        "review_updates",
    )
    shown = {f: getattr(record, f) for f in fields}
    shown["landing_origins"] = list(getattr(record, "landing_origins", ()))
    print(json.dumps(shown, ensure_ascii=False))


@organizers.command("allow")
def allow(address: str) -> None:
    """Allow an organizer to create invites."""
    _print_organizer(session.service().registry.allow(address, now=datetime.now(UTC)))


@organizers.command("suspend")
def suspend(
    address: str,
    reason: Annotated[str | None, typer.Option(help="Told to the organizer.")] = None,
) -> None:
    """Suspend an organizer: their messages are rejected."""
    _print_organizer(session.service().registry.suspend(address, reason, now=datetime.now(UTC)))


@organizers.command("limit")
def limit(
    address: str,
    max_events: Annotated[int | None, typer.Argument(help="Maximum events; omit to lift.")] = None,
) -> None:
    """Limit how many events an organizer may create."""
    _print_organizer(
        session.service().registry.limit_events(address, max_events, now=datetime.now(UTC))
    )


@organizers.command("review")
def review(
    address: str,
    switch: Annotated[str, typer.Argument(help="on, off, or default (the server's setting).")],
) -> None:
    """Hold an organizer's updates for review before they go out to recipients."""
    choices = {"on": True, "off": False, "default": None}
    if switch not in choices:
        err.print("the switch is on, off or default")
        raise typer.Exit(2)
    _print_organizer(
        session.service().registry.review(address, choices[switch], now=datetime.now(UTC))
    )


@organizers.command("recipients-limit")
def recipients_limit(
    address: str,
    max_recipients: Annotated[
        int | None, typer.Argument(help="Most recipients per invite; omit to lift.")
    ] = None,
) -> None:
    """Limit how many recipients each of an organizer's invites may be sent to."""
    record = session.service().registry.limit_recipients(
        address, max_recipients, now=datetime.now(UTC)
    )
    _print_organizer(record)


@organizers.command("origins")
def origins(
    address: str,
    origin: Annotated[
        list[str] | None,
        typer.Argument(help="https://host[:port] origins; none clears them all."),
    ] = None,
) -> None:
    """Set the web origins an organizer's landing pages may redirect to after a request."""
    try:
        record = session.service().registry.set_landing_origins(
            address, origin or [], now=datetime.now(UTC)
        )
    except InvalidOriginError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    _print_organizer(record)


@organizers.command("block")
def block(organizer: str, recipient: str) -> None:
    """Record that a recipient does not want this organizer's invitations (they are skipped)."""
    _set_block(organizer, recipient, blocked=True)


@organizers.command("unblock")
def unblock(organizer: str, recipient: str) -> None:
    """Lift a recipient's block of this organizer."""
    _set_block(organizer, recipient, blocked=False)


def _set_block(organizer: str, recipient: str, *, blocked: bool) -> None:
    record = session.service().registry.block(organizer, recipient, blocked, now=datetime.now(UTC))
    state = {"organizer": record.organizer, "recipient": record.recipient, "blocked": record.active}
    print(json.dumps(state))


@organizers.command("show")
def show_organizer(address: str) -> None:
    """Show an organizer's standing."""
    record = session.service().registry.find(address)
    if record is None:
        err.print(f"{address} is not registered (the registry's default applies)", markup=False)
        raise typer.Exit(1)
    _print_organizer(record)
