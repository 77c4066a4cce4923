"""``cis send`` and ``cis outbox``: send an invite to people, and see what was sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from application.errors import AmbiguousInviteError, InviteNotFoundError
from application.ports import RecipientRow
from application.send_types import Recipient, SendOutcome, SendResult
from entrypoints import session
from entrypoints.lines import emit

out = Console()
err = Console(stderr=True)


def send(
    invite: Annotated[str, typer.Argument(help="Invite id, or the organizer's UID.")],
    to: Annotated[str | None, typer.Option("--to", help="One recipient's address.")] = None,
    name: Annotated[str | None, typer.Option(help="The recipient's name (with --to).")] = None,
    origin: Annotated[
        str, typer.Option(help="Where the request came from: api, landing, bulk, vip, campaign…")
    ] = "api",
    csv: Annotated[
        Path | None, typer.Option("--csv", help="A CSV of recipients: email[,name].")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Send a CSV without asking.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per recipient.")] = False,
) -> None:
    """Send an invite's current version to one recipient (--to) or a CSV list (--csv).

    Nobody gets the same version twice. Outcomes: sent, queued (retried later), failed,
    duplicate, invalid, blocked, limit, cancelled (a cancelled invite goes to no newcomer).
    """
    if (to is None) == (csv is None):
        err.print("give exactly one of --to ADDRESS or --csv FILE")
        raise typer.Exit(2)
    invalid: list[RecipientRow] = []
    if csv is not None:
        recipients, invalid = _from_csv(csv, "bulk" if origin == "api" else origin)
        if not yes and not _confirmed(invite, recipients, invalid):
            raise typer.Exit(1)
    else:
        recipients = [Recipient(to or "", name, origin)]
    rejected = [_invalid(row) for row in invalid]
    if as_json:
        for result in rejected:
            emit(result.as_dict())
    results = rejected + _send(invite, recipients, invalid, as_json=as_json, bulk=csv is not None)
    _report(results, as_json)


def _from_csv(path: Path, origin: str) -> tuple[list[Recipient], list[RecipientRow]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        err.print(f"cannot read {path}: {exc.strerror or exc}", markup=False)
        raise typer.Exit(2) from None
    rows = session.container().recipient_lists().read(data)
    seen: set[str] = set()
    recipients = []
    for row in rows:
        if row.problem is None and row.address not in seen:
            seen.add(row.address)
            recipients.append(Recipient(row.address, row.name, origin))
    return recipients, [row for row in rows if row.problem is not None]


def _confirmed(invite: str, recipients: list[Recipient], invalid: list[RecipientRow]) -> bool:
    err.print(
        f"invite {invite}: {len(recipients)} recipients to send to, "
        f"{len(invalid)} invalid rows (reported, not sent)",
        markup=False,
    )
    for row in invalid[:20]:
        err.print(f"  {row.problem}", markup=False)
    return typer.confirm("Send now?", default=False, err=True)


def _send(
    invite: str,
    recipients: list[Recipient],
    invalid: list[RecipientRow],
    *,
    as_json: bool,
    bulk: bool,
) -> list[SendResult]:
    outbound = session.doors().outbound
    try:
        if as_json or len(recipients) < 20:
            return outbound.send(
                invite,
                recipients,
                now=datetime.now(UTC),
                invalid=invalid,
                summary=bulk,
                progress=_line if as_json else None,
            )
        with Progress(console=err) as bar:
            task = bar.add_task("sending", total=len(recipients))
            return outbound.send(
                invite,
                recipients,
                now=datetime.now(UTC),
                invalid=invalid,
                summary=bulk,
                progress=lambda _: bar.advance(task, 1),
            )
    except (InviteNotFoundError, AmbiguousInviteError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None


def _invalid(row: RecipientRow) -> SendResult:
    return SendResult(row.address, SendOutcome.INVALID, reason=row.problem)


def _line(result: SendResult) -> None:
    """Print one recipient's result the moment it exists, so a run that dies said what it did."""
    emit(result.as_dict())


def _report(results: list[SendResult], as_json: bool) -> None:
    """Print the table of ``results`` (with --json each line was printed as it happened)."""
    if as_json:
        return
    table = Table(title="sent")
    for column in ("address", "outcome", "sequence", "reason"):
        table.add_column(column)
    for r in results:
        table.add_row(Text(r.address), r.outcome.value, str(r.sequence or ""), Text(r.reason or ""))
    out.print(table)
    counts = Counter(r.outcome.value for r in results)
    err.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())), markup=False)


def approve(
    invite: Annotated[str, typer.Argument(help="Invite id, or the organizer's UID.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per recipient.")] = False,
) -> None:
    """Approve an update held for review: it goes out to everyone who received the invite."""
    progress = _line if as_json else None
    now = datetime.now(UTC)
    _report(
        _found(lambda: session.doors().outbound.approve(invite, now=now, progress=progress)),
        as_json,
    )


def retry(
    invite: Annotated[str | None, typer.Argument(help="One invite; default: all.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per recipient.")] = False,
) -> None:
    """Send again whatever is pending (mailer failures, interrupted runs); nothing goes twice."""
    progress = _line if as_json else None
    now = datetime.now(UTC)
    _report(
        _found(lambda: session.doors().outbound.retry(invite, now=now, progress=progress)), as_json
    )


def _found(work: Callable[[], list[SendResult]]) -> list[SendResult]:
    """Run ``work``; an unknown or ambiguous invite is a clear error, exit status 1."""
    try:
        return work()
    except (InviteNotFoundError, AmbiguousInviteError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None


def outbox(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List what was sent, to whom, which version, and its status (sent, pending, failed)."""
    entries = session.doors().reading.outbox()
    if as_json:
        for entry in entries:
            emit(entry.as_dict())
        return
    table = Table(title="outbox")
    for column in ("to", "method", "seq", "status", "message id", "detail"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            Text(e.to),
            e.method,
            str(e.sequence),
            e.status,
            Text(e.message_id),
            Text(e.detail or ""),
        )
    out.print(table)
