"""``cis report``: who answered an invite, how, from which client."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from application.errors import AmbiguousInviteError, InviteNotFoundError
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
    """RSVP report: each recipient's answer that counts now, origin, client, forwarded-by."""
    try:
        rows = session.doors().reading.report(invite)
        if email:
            session.doors().outbound.email_report(invite, now=datetime.now(UTC))
    except (InviteNotFoundError, AmbiguousInviteError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    if csv is not None:
        data = session.doors().reading.report_file(rows)
        if csv == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(csv).write_bytes(data)
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
