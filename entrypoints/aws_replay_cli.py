"""``cis aws replay``: rebuild the views of a deployment from its event table.

On DynamoDB the notification log is opt-in, so `cis replay` has no ordered log to read there:
this command scans the table instead (a parallel Scan) and orders each stream's events by
version itself. Streams are independent, so projecting them one after another gives the same
views as the log would; they are folded in memory and written as `cis replay` writes them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from entrypoints import session

if TYPE_CHECKING:
    from eventsourcing.persistence import Mapper, StoredEvent

    from application.projections.store import ReadModel

err = Console(stderr=True)


def replay(
    segments: Annotated[
        int,
        typer.Option(
            "--segments",
            min=1,
            max=64,
            help="Parallel Scan segments of the event table, one thread each.",
        ),
    ] = 4,
) -> None:
    """Delete the views and project every event of the event table again (safe to repeat).

    Scans DYNAMODB_TABLE with --segments threads, keeping only aggregate events, applies each
    stream's events in version order, then clears VIEWS_TABLE and writes the views. Pause the
    projections function's stream mapping meanwhile (README, "Deploy to AWS"). Prints a
    progress bar on stderr and one JSON line at the end: events scanned (`scanned`), events
    applied to views (`applied`) and streams (`streams`). Exit 2 unless CIS_BACKEND=aws.
    """
    container = session.container()
    if container.settings().backend != "aws":
        err.print("cis aws replay reads a DynamoDB event table: set CIS_BACKEND=aws", markup=False)
        raise typer.Exit(2)
    from botocore.exceptions import BotoCoreError, ClientError
    from eventsourcing.persistence import OperationalError

    from application.projections.projector import OutOfOrderError
    from application.projections.store import ViewConflictError

    table = container.event_scan()
    store = container.views()
    shards = container.projections().projector.shards
    columns = (TextColumn("{task.description:10}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        scanning = bar.add_task("scanning", total=None)
        try:
            events = table.events(segments, lambda n: bar.advance(scanning, n))
        except (OperationalError, ClientError, BotoCoreError) as error:
            _fail(f"scanning {table.name} failed: {type(error).__name__}: {error}")
        projecting = bar.add_task("projecting", total=len(events))
        writing = bar.add_task("writing", total=None)
        try:
            applied, streams = rebuild_views(
                container.event_mapper(),
                store,
                events,
                shards=shards,
                projected=lambda n: bar.advance(projecting, n),
                written=lambda n: bar.advance(writing, n),
            )
        except (
            OperationalError,
            ViewConflictError,
            OutOfOrderError,
            ClientError,
            BotoCoreError,
        ) as error:
            _fail(f"rebuilding the views failed: {type(error).__name__}: {error}")
    print(json.dumps({"scanned": len(events), "applied": applied, "streams": streams}))


def rebuild_views(
    mapper: Mapper[Any],
    store: ReadModel,
    events: Sequence[StoredEvent],
    *,
    shards: int,
    projected: Callable[[int], None] | None = None,
    written: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Replace ``store``'s views with those of ``events`` (any order); return (events
    applied, streams).

    Like ProjectionRunner.rebuild: rows are folded in a Staging with the projector's
    counters off, the store is cleared, and the rows, the counters summed from them and
    each stream's position are written in batches the store can commit.
    """
    from application.projections.projector import Projector, Route
    from application.projections.staging import Staging

    streams: defaultdict[str, list[StoredEvent]] = defaultdict(list)
    for event in events:
        streams[str(event.originator_id)].append(event)
    staged = Staging()
    projector = Projector(shards, counting=False)
    for name, stream in streams.items():
        stream.sort(key=lambda event: event.originator_version)
        for stored in stream:
            if projector.route(stored.topic) is Route.SKIP:
                projector.skip(staged, name, stored.originator_version)
            else:
                # Events of aggregates no view is made of are left alone by the projector.
                projector.project(staged, mapper.to_domain_event(stored))  # type: ignore[arg-type]
        if projected is not None:
            projected(len(stream))
    store.clear()
    for batch in staged.batches(store.max_batch or 5000, projector.counts):
        store.commit(batch)
        if written is not None:
            written(len(batch))
    return staged.events, len(streams)


def _fail(message: str) -> NoReturn:
    err.print(message, markup=False)
    raise typer.Exit(1)
