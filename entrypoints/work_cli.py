"""``cis work``: do the sending work queued on ``SQS_URL`` (the Lambda worker's job, by hand)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated

import typer

from entrypoints import session


def work(
    wait: Annotated[
        float, typer.Option(help="Seconds to long-poll for the first job (at most 20).")
    ] = 0,
    limit: Annotated[
        int | None, typer.Option(help="Stop after this many jobs (default: until empty).")
    ] = None,
) -> None:
    """Do queued sending jobs until the queue is empty, one JSON line per job.

    A job that fails stays on the queue: SQS hands it out again after its visibility
    timeout and, after the queue's retries, moves it to the dead-letter queue.
    Exit 1 if any job failed, 2 if no queue is configured.
    """
    queue = session.container().queue()
    if queue is None:
        print("no work queue: set SQS_URL (or CIS_SQS_URL)", file=sys.stderr)
        raise typer.Exit(2)
    outbound = session.doors().outbound
    done = failed = 0
    while limit is None or done + failed < limit:
        batch = queue.receive(10 if limit is None else min(10, limit - done - failed), wait)
        if not batch:
            break
        for received in batch:
            line: dict[str, object] = {"deliveries": received.deliveries}
            if received.job is None:
                line |= {"outcome": "unreadable", "reason": received.problem}
                failed += 1
            else:
                line["job"] = received.job.as_dict()
                try:
                    if received.job.kind == "webhook":
                        # A failed attempt queues the next one itself: the job is done.
                        webhooks = session.doors().webhooks
                        webhooks.work(received.job.invite, datetime.now(UTC))
                        results = []
                    else:
                        results = outbound.work(received.job, now=datetime.now(UTC))
                except Exception as error:
                    line |= {"outcome": "failed", "reason": f"{type(error).__name__}: {error}"}
                    failed += 1
                else:
                    queue.done(received)
                    counts = Counter(r.outcome.value for r in results)
                    line |= {"outcome": "done", "recipients": dict(sorted(counts.items()))}
                    done += 1
            print(json.dumps(line), flush=True)
    raise typer.Exit(1 if failed else 0)
