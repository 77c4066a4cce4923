"""``cis suppress``: the suppression list (addresses the server does not mail), as JSON lines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from application.outbound.suppressions import SuppressionReason, Suppressions
from application.vocabulary import normalize_address
from entrypoints import session
from entrypoints.arguments import address_argument
from entrypoints.lines import emit

suppress = typer.Typer(
    help="The suppression list: addresses no invitation goes to, for one organizer or from "
    "every organizer (unsubscribes, complaints, hard bounces, and what admins add)."
)
err = Console(stderr=True)
_REASONS = [reason.value for reason in SuppressionReason]

Organizer = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS",
        help="Only this organizer's invitations; without it, every organizer's (server-wide).",
    ),
]


def _suppressions() -> Suppressions:
    return session.doors().outbound.suppressions


@suppress.command("add")
def add(
    address: str,
    organizer: Organizer = None,
    reason: Annotated[
        str, typer.Option(help=f"Why: one of {', '.join(_REASONS)}.", metavar="REASON")
    ] = SuppressionReason.ADMIN.value,
) -> None:
    """Suppress an address (idempotent) and print the suppression."""
    if reason not in _REASONS:
        err.print(f"the reason is one of {', '.join(_REASONS)}", markup=False)
        raise typer.Exit(2)
    scope = address_argument(organizer) if organizer is not None else None
    view = _suppressions().suppress(
        address_argument(address), scope, SuppressionReason(reason), now=datetime.now(UTC)
    )
    emit(view.as_dict())


@suppress.command("remove")
def remove(address: str, organizer: Organizer = None) -> None:
    """Lift an address's suppression for one organizer (or the server-wide one); the others stay."""
    scope = address_argument(organizer) if organizer is not None else None
    lifted = _suppressions().lift(address_argument(address), scope, now=datetime.now(UTC))
    emit({"address": normalize_address(address), "scope": scope or "all", "lifted": lifted})


@suppress.command("list")
def list_suppressions(
    organizer: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS", help="Only what keeps this organizer's mail (server-wide included)."
        ),
    ] = None,
    address: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Only this address's suppressions.")
    ] = None,
) -> None:
    """Print every suppression in force, one JSON line each."""
    doors = _suppressions()
    views = doors.of(address_argument(address)) if address is not None else doors.list(organizer)
    if address is not None and organizer is not None:
        wanted = {"all", normalize_address(organizer)}
        views = [view for view in views if view.scope in wanted]
    for view in views:
        emit(view.as_dict())
