"""``cis report``: who answered an invite, how, from which client."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from application.errors import AmbiguousInviteError, InviteNotFoundError
from application.reading.report import ReportRow
from entrypoints import session
from entrypoints.lines import emit

out = Console()
err = Console(stderr=True)


def report(
    invite: Annotated[str, typer.Argument(help="Invite id, or the organizer's UID.")],
    csv: Annotated[
        str | None, typer.Option("--csv", help="Write a CSV to this file (- for stdout).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    email: Annotated[
        bool, typer.Option("--email", help="Also email the report (CSV) to the organizer.")
    ] = False,
) -> None:
    """RSVP report: each recipient's answer that counts now, origin, client, forwarded-by.

    One row per recipient, by address, read from the views (brought up to date first); the
    CSV and JSON outputs stream, so a report of any size holds one page of rows at a time.
    """
    try:
        rows = session.doors().reading.report(invite)
        if email:
            session.doors().outbound.email_report(invite, now=datetime.now(UTC))
    except (InviteNotFoundError, AmbiguousInviteError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    if csv is not None:
        _write_csv(rows, csv)
        return
    if as_json:
        for row in rows:
            emit(row.as_dict())
        return
    table = Table(title="RSVP report")
    for column in ("address", "name", "status", "origin", "client", "forwarded by"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            Text(r.address),
            Text(r.name or ""),
            r.status,
            Text(r.origin),
            Text(r.client or ""),
            Text(r.forwarded_by or ""),
        )
    out.print(table)


def _write_csv(rows: Iterable[ReportRow], target: str) -> None:
    """Write the report file to ``target`` (``-``: stdout), a page of rows at a time."""
    pieces = session.doors().reading.report_file_pieces(rows)
    if target == "-":
        for piece in pieces:
            sys.stdout.buffer.write(piece)
        sys.stdout.buffer.flush()
        return
    with Path(target).open("wb") as file:
        for piece in pieces:
            file.write(piece)
