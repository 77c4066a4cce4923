"""``cis aws redrive``: run raw mail through ingest again, from the bucket or a DLQ."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from entrypoints.aws.inbound import Arrived


@dataclass
class _Tally:
    """What a redrive did: arrivals per outcome, and every source that failed and why."""

    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, str]] = field(default_factory=list)
    deleted: int = 0

    def done(self, source: str, arrived: Sequence[Arrived]) -> None:
        for each in arrived:
            result = each.result
            self.outcomes[result.outcome.value] += 1
            where = each.key if each.key == source else f"{source} {each.key}"
            invite = f" invite {result.invite}" if result.invite else ""
            typer.echo(f"{result.outcome.value:<9} {where} ({each.mailbox}){invite}", err=True)
        if not arrived:
            typer.echo(f"{'nothing':<9} {source} (announces no mail)", err=True)

    def failed(self, source: str, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"
        self.failures.append({"source": source, "error": reason})
        typer.echo(f"{'FAILED':<9} {source}: {reason}", err=True)

    def summary(self, origin: str) -> dict[str, object]:
        report: dict[str, object] = {
            "from": origin,
            "arrivals": sum(self.outcomes.values()),
            "outcomes": dict(sorted(self.outcomes.items())),
            "failed": len(self.failures),
            "failures": self.failures,
        }
        if origin == "dlq":
            report["deleted"] = self.deleted
        return report


def redrive(
    from_s3: Annotated[
        bool,
        typer.Option(
            "--from-s3",
            help="Ingest every object under inbound/<mailbox>/ in MAIL_BUCKET, oldest first, "
            "with the envelope kept when it first arrived; for mail kept without one, the "
            "recipient is read from the message's headers.",
        ),
    ] = False,
    from_dlq: Annotated[
        str | None,
        typer.Option(
            "--from-dlq",
            metavar="QUEUE_URL",
            help="Process each message of this dead-letter queue as the inbound function does; "
            "delete it once processed, leave it on the queue if it fails again.",
        ),
    ] = None,
    mailbox: Annotated[
        str | None,
        typer.Option(help="With --from-s3: only this mailbox (create, bulk, rsvp…)."),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="With --from-s3: only objects stored on or after this day (UTC).",
        ),
    ] = None,
    wait: Annotated[
        int,
        typer.Option(
            min=0, max=20, help="With --from-dlq: seconds to long-poll before deciding it is empty."
        ),
    ] = 2,
) -> None:
    """Re-process raw mail; safe to run twice (mail already recorded ends as duplicate).

    Progress goes to stderr, one line per message.
    One JSON summary line goes to stdout: arrivals per outcome, and the failures.
    The exit status is 1 if anything failed, 2 for a usage error.
    """
    if from_s3 == (from_dlq is not None):
        raise typer.BadParameter("give exactly one of --from-s3 and --from-dlq")
    if from_dlq is not None and (mailbox is not None or since is not None):
        raise typer.BadParameter("--mailbox and --since go with --from-s3")
    from entrypoints.aws import runtime

    tally = _Tally()
    origin = "s3" if from_dlq is None else "dlq"
    try:
        if runtime.container().settings().backend != "aws":
            msg = "set the deployment's environment first: CIS_BACKEND=aws, MAIL_BUCKET, …"
            raise ValueError(msg)
        redriver = runtime.container().mail_redrive()
    except Exception as error:  # the environment names no usable deployment
        tally.failed("configuration", error)
        typer.echo(json.dumps(tally.summary(origin)))
        raise typer.Exit(1) from None
    if from_dlq is None:
        boxes = _mailboxes(redriver.mailboxes, mailbox)
        steps = redriver.from_s3(boxes, since=since.replace(tzinfo=UTC) if since else None)
    else:
        steps = redriver.from_dlq(from_dlq, wait=wait)
    for step in steps:
        if step.error is not None:
            tally.failed(step.source, step.error)
            continue
        tally.done(step.source, step.arrived)
        if step.deleted:
            tally.deleted += 1
    typer.echo(json.dumps(tally.summary(origin)))
    if tally.failures:
        raise typer.Exit(1)


def _mailboxes(known: list[str], chosen: str | None) -> list[str]:
    if chosen is None:
        return known
    if chosen not in known:
        msg = f"no mailbox {chosen!r} here; the mailboxes are {', '.join(known)}"
        raise typer.BadParameter(msg, param_hint="--mailbox")
    return [chosen]
