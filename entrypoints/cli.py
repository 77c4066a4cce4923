"""The ``cis`` command line: ingest invite emails, show invites and their history."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, RenderableType
from typer._click.core import Context  # typer vendors click: the type its options take
from typer.core import TyperOption

from application.errors import AmbiguousInviteError, InviteNotFoundError
from application.inbound.front_door import Incoming
from entrypoints import session
from entrypoints.aws_cli import aws
from entrypoints.dkim_cli import dkim
from entrypoints.doctor_cli import doctor
from entrypoints.failures import ReportingGroup
from entrypoints.feeds_cli import feeds
from entrypoints.keys_cli import keys
from entrypoints.lines import emit
from entrypoints.organizers_cli import organizers
from entrypoints.privacy_cli import erase, export
from entrypoints.render import (
    history_table,
    invite_table,
    invites_lines,
    invites_table,
    print_outcome_summary,
)
from entrypoints.report_cli import report
from entrypoints.send_cli import approve, outbox, retry, send
from entrypoints.serve_cli import serve
from entrypoints.settings import Settings
from entrypoints.sign_in_cli import sign_in
from entrypoints.submit_cli import submit
from entrypoints.suppress_cli import suppress
from entrypoints.views_cli import replay
from entrypoints.webhooks_cli import webhooks
from entrypoints.work_cli import work


def _flags_take_no_value() -> None:
    """Show flags bare in ``--help`` (``--json``, not ``--json <bool>``).

    typer's rich help panel (0.29) prints a type beside every option, flags included, as if
    ``--json`` took a value; its plain help and click's leave flags bare, and so do we.
    """
    typed = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Context) -> str | None:
        return None if self.is_flag or self.count else typed(self, ctx)

    # Every cis command and group (keys, organizers, aws) renders through this one class.
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_take_no_value()

app = typer.Typer(
    help="Calendar Invite Server: record calendar invites sent by organizers as "
    "event-sourced invites, and read them back.",
    no_args_is_help=True,
    add_completion=False,
    cls=ReportingGroup,
)
app.add_typer(organizers, name="organizers")
app.add_typer(keys, name="keys")
app.add_typer(aws, name="aws")
app.add_typer(dkim, name="dkim")
app.add_typer(suppress, name="suppress")
app.add_typer(webhooks, name="webhooks")
app.add_typer(feeds, name="feeds")
app.command()(send)
app.command()(approve)
app.command()(retry)
app.command()(outbox)
app.command()(report)
app.command()(work)
app.command()(replay)
app.command()(serve)
app.command()(erase)
app.command()(export)
app.command()(submit)
app.command("sign-in")(sign_in)
app.command()(doctor)
out = Console()
err = Console(stderr=True)


@app.callback()
def _root(
    data_dir: Annotated[
        Path | None,
        typer.Option(envvar="CIS_DATA_DIR", help="Data folder (SQLite store, raw messages)."),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="CIS_DEBUG",
            help="Print an error's traceback (by default: one line saying what to do).",
        ),
    ] = False,
) -> None:
    # First: settings that cannot be read are an error to show in full too.
    session.show_tracebacks(debug)
    session.configure(Settings(data_dir=data_dir) if data_dir else Settings())


def _read(source: str) -> bytes:
    return sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()


@app.command()
def ingest(
    files: Annotated[list[str], typer.Argument(help="Email (.eml) or .ics files; - for stdin.")],
    to: Annotated[
        str | None,
        typer.Option("--to", help="Envelope recipient (the drop-box mailbox, e.g. create@…)."),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Envelope sender: the sender of a message without From (a bare .ics); a "
            "message with neither is rejected.",
        ),
    ] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Print a table of outcomes to stderr at the end.")
    ] = False,
) -> None:
    """Ingest messages; print one JSON object per line and message with its outcome.

    The sender policy (CIS_SENDER_POLICY, cis organizers policy) applies as on the drop box:
    under dmarc an organizer's message counts only with a DKIM signature aligned with its
    From (a file has no connecting address for SPF). Files are kept in groups of up to 64
    (8 MB), synced together, and each line printed once its file's group is kept and its message
    recorded. Exit status is 0 whatever the outcomes; 2 if a file could not be read.
    """
    inbound = session.doors().inbound
    outcomes: Counter[str] = Counter()
    unreadable = 0

    def arriving() -> Iterator[Incoming]:
        nonlocal unreadable
        for source in files:
            try:
                raw = _read(source)
            except OSError as exc:
                err.print(f"cannot read {source}: {exc.strerror or exc}", markup=False)
                unreadable += 1
                continue
            yield Incoming(raw, source, envelope_to=to, envelope_from=sender, channel="cli")

    # Files are kept a group at a time, synced together: a line is printed only once the
    # whole group it belongs to is kept (and its own message recorded).
    for message, result in inbound.ingest_many(arriving(), clock=lambda: datetime.now(UTC)):
        outcomes[result.outcome.value] += 1
        emit({"source": message.source, **result.as_dict()})
    if summary:
        print_outcome_summary(err, outcomes)
    if unreadable:
        raise typer.Exit(2)


@app.command()
def reingest(
    summary: Annotated[
        bool, typer.Option("--summary", help="Print a table of outcomes to stderr at the end.")
    ] = False,
) -> None:
    """Run every kept raw message through ingest again (recovery; safe to repeat).

    Messages already recorded end as duplicate; anything the event store lost is recorded
    again. Prints one JSON object per line, as ingest does, with the message key as source.
    The one command that opens an empty or missing event store beside kept mail: it says so
    on stderr first.
    """
    problem = session.recover()
    if problem is not None:
        err.print(
            f"cis: {problem}: recording every kept message again, oldest first. Sends "
            "recorded only in the lost store are not known any more: sending an invite to "
            "the same people again mails them again",
            markup=False,
            soft_wrap=True,
        )
    outcomes: Counter[str] = Counter()
    for key, result in session.doors().inbound.reingest(now=datetime.now(UTC)):
        outcomes[result.outcome.value] += 1
        emit({"source": key, **result.as_dict()})
    if summary:
        print_outcome_summary(err, outcomes)


def _lookup(ref: str, *, show: bool, as_json: bool) -> None:
    reading = session.doors().reading
    try:
        if show:
            view = reading.show(ref)
            recipients = reading.recipients(ref)
            payload: object = {
                **view.as_dict(),
                "recipients": [r.as_dict() for r in recipients],
            }
            table: RenderableType = invite_table(view, recipients)
        else:
            entries = reading.history(ref)
            payload = [e.as_dict() for e in entries]
            table = history_table(entries)
    except (InviteNotFoundError, AmbiguousInviteError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        out.print(table)


@app.command()
def show(
    invite: Annotated[str, typer.Argument(help="Invite id, or the organizer's UID.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show an invite's current state: details, status, sequence, instances, and two lists.

    Attendees: the organizer's own list (the invite's ATTENDEEs, with the answers they
    sent). Recipients: everyone this server sent the invite to, with their answer (accepted,
    declined, tentative, delegated, no answer, bounced) and delivery (sent, pending, failed,
    bounced). With --json the same keys as before plus "recipients".
    """
    _lookup(invite, show=True, as_json=as_json)


@app.command()
def history(
    invite: Annotated[str, typer.Argument(help="Invite id, or the organizer's UID.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every stored event of an invite, in order (the replayable history)."""
    _lookup(invite, show=False, as_json=as_json)


@app.command("message")
def message(
    digest: Annotated[str, typer.Argument(help="The message's SHA-256 (the `message` key).")],
) -> None:
    """Show what became of one received message and what verified its sender, as JSON.

    Keys: message, outcome, reason, invite, uid, method, sequence, envelope_to, and sender:
    vouched_by, private_address and authentication (DKIM per signature, SPF, DMARC, who
    checked). Exit status 1 if no message with that digest was received.
    """
    receipt = session.doors().reading.receipt(digest)
    if receipt is None:
        err.print(f"no message with digest {digest} was received", markup=False)
        raise typer.Exit(1)
    shown = {
        "message": receipt.digest,
        "outcome": receipt.outcome,
        "reason": receipt.reason,
        "invite": str(receipt.invite) if receipt.invite else None,
        "uid": receipt.uid,
        "method": receipt.method,
        "sequence": receipt.sequence,
        "envelope_to": receipt.envelope_to,
        "sender": receipt.sender,
    }
    print(json.dumps(shown, ensure_ascii=False, indent=2))


@app.command("list")
def list_invites(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List every invite, oldest first (a table on a terminal, else tab-separated lines)."""
    views = session.doors().reading.invites()
    if as_json:
        for view in views:
            emit(view.as_dict())
    elif out.is_terminal:
        out.print(invites_table(views))
    else:
        # Piped or redirected: whole ids, whatever COLUMNS says, one line per invite.
        for line in invites_lines(views):
            print(line)


def main() -> None:
    """Run the ``cis`` command."""
    app()


if __name__ == "__main__":
    main()
