"""``cis send`` and ``cis outbox``: send an invite to people, and see what was sent."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from application.errors import AmbiguousInviteError, InviteNotFoundError
from application.outbound.front_door import ListPreview
from application.ports import UnreadableListError
from application.send_types import Recipient, SendOutcome, SendResult
from entrypoints import session
from entrypoints.lines import emit

Done = TypeVar("Done")
# A send of at most this many rows is shown whole; a larger one shows its rows not sent.
_EVERY_ROW = 50
# The most rows not sent a table shows (the rest are counted; --json has them all).
_NOT_SENT = 1_000
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
    duplicate (already had this version, or a row repeating an earlier row: its line and the
    earlier line are named), invalid (the line and why), blocked, limit, cancelled (a
    cancelled invite goes to no newcomer). A list is previewed first: unusable and repeated
    rows by line number, then "Send now?" (--yes skips the question). An event that is
    already over is sent all the same, with a warning on stderr.

    A list is sent a page at a time and never held whole: --json prints the rows not sent
    (invalid, duplicate), then each page's lines as soon as the page is saved. The table
    shows every row of a send of up to 50; of a larger one, the rows not sent (the first
    1,000) and the counts of each outcome, never a line per recipient sent.
    """
    if (to is None) == (csv is None):
        err.print("give exactly one of --to ADDRESS or --csv FILE")
        raise typer.Exit(2)
    _found(lambda: _warn(invite))
    if csv is not None:
        _send_list(invite, csv, "bulk" if origin == "api" else origin, yes=yes, as_json=as_json)
        return
    recipients = [Recipient(to or "", name, origin)]
    _report(_send(invite, recipients, as_json=as_json), as_json)


def _warn(invite: str) -> None:
    """Print on stderr what the sender should know before the invite goes (it is over)."""
    for warning in session.doors().reading.send_warnings(invite, now=datetime.now(UTC)):
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)


def _send_list(invite: str, path: Path, origin: str, *, yes: bool, as_json: bool) -> None:
    """Preview a CSV list (kept like an API upload), confirm it, and send it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        err.print(f"cannot read {path}: {exc.strerror or exc}", markup=False)
        raise typer.Exit(2) from None
    outbound = session.doors().outbound
    try:
        preview = _found(lambda: outbound.preview_list(invite, data))
    except UnreadableListError as exc:
        err.print(f"cannot read {path}: {exc}", markup=False)
        raise typer.Exit(2) from None
    if not yes and not _confirmed(invite, preview):
        raise typer.Exit(1)
    now = datetime.now(UTC)
    pages = _found(
        lambda: outbound.send_list_pages(invite, preview.upload_id, now=now, origin=origin)
    )
    shown = _Shown()
    total = len(preview.recipients) + len(preview.invalid) + len(preview.repeated)
    if as_json or total < 20:
        for page in pages:
            if as_json:
                _lines(page)
            shown.add(page)
    else:
        with Progress(console=err) as bar:
            task = bar.add_task("sending", total=total)
            for page in pages:
                shown.add(page)
                bar.advance(task, len(page))
    if not as_json:
        shown.print()


def _confirmed(invite: str, preview: ListPreview) -> bool:
    err.print(
        f"invite {invite}: {len(preview.recipients)} recipients to send to, "
        f"{len(preview.invalid)} invalid rows (reported, not sent), "
        f"{len(preview.repeated)} duplicate rows (sent once)",
        markup=False,
        soft_wrap=True,
    )
    for row in preview.invalid[:20]:
        err.print(f"  {row.problem}", markup=False)
    for repeat in preview.repeated[:20]:
        err.print(f"  {repeat.reason}", markup=False)
    return typer.confirm("Send now?", default=False, err=True)


def _send(invite: str, recipients: list[Recipient], *, as_json: bool) -> list[SendResult]:
    outbound = session.doors().outbound
    now = datetime.now(UTC)
    progress = _line if as_json else None
    return _found(lambda: outbound.send(invite, recipients, now=now, progress=progress))


def _line(result: SendResult) -> None:
    """Print one recipient's result the moment it exists, so a run that dies said what it did."""
    emit(result.as_dict())


def _lines(page: list[SendResult]) -> None:
    """Print a page of results as JSON lines, flushed together once the page is saved."""
    out.file.write("".join(json.dumps(r.as_dict(), ensure_ascii=False) + "\n" for r in page))
    out.file.flush()


class _Shown:
    """What the table of a send shows: every row of a small send; of a larger one the counts
    and the rows not sent (the first ``_NOT_SENT``), never a row per recipient sent."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.rows: list[SendResult] = []
        self.left_out = 0

    def add(self, page: list[SendResult]) -> None:
        for result in page:
            self.counts[result.outcome.value] += 1
            if self.counts.total() == _EVERY_ROW + 1:
                self.rows = [r for r in self.rows if r.outcome is not SendOutcome.SENT]
            if self.counts.total() <= _EVERY_ROW or result.outcome is not SendOutcome.SENT:
                if len(self.rows) < _NOT_SENT:
                    self.rows.append(result)
                else:
                    self.left_out += 1

    def print(self) -> None:
        large = self.counts.total() > _EVERY_ROW
        table = Table(title="not sent" if large else "sent")
        for column in ("address", "outcome", "sequence", "reason"):
            table.add_column(column)
        for r in self.rows:
            sequence = "" if r.sequence is None else str(r.sequence)
            table.add_row(Text(r.address), r.outcome.value, sequence, Text(r.reason or ""))
        if self.rows or not large:
            out.print(table)
        if self.left_out:
            err.print(
                f"{self.left_out} more rows not sent are not shown: --json prints every row",
                markup=False,
            )
        counts = sorted(self.counts.items())
        err.print(", ".join(f"{k}: {v}" for k, v in counts), markup=False)


def _report(results: list[SendResult], as_json: bool) -> None:
    """Print the table of ``results`` (with --json each line was printed as it happened)."""
    if as_json:
        return
    shown = _Shown()
    shown.add(results)
    shown.print()


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


def _found(work: Callable[[], Done]) -> Done:
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
