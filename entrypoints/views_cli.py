"""``cis replay``: rebuild the dashboards' views from the event store."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from entrypoints import session


def replay(
    only_new: Annotated[
        bool,
        typer.Option(
            "--only-new",
            help="Project only what is new; keep the views (views an older version built "
            "are rebuilt all the same).",
        ),
    ] = False,
) -> None:
    """Delete the views and project every stored event again (safe to repeat).

    Prints a progress bar on stderr and, at the end, one JSON line: the log's length (`log`),
    events applied to views (`applied`) and the log position reached (`position`).
    """
    runner = session.container().projections()
    total = runner.app.recorder.max_notification_id() or 0
    columns = (
        TextColumn("projecting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("replay", total=total if not only_new else runner.pending())
        advance = lambda n: progress.advance(task, n)  # noqa: E731
        applied = runner.run(advance) if only_new else runner.rebuild(advance)
    position = runner.store.position(runner.log)
    print(json.dumps({"log": total, "applied": applied, "position": position}))
