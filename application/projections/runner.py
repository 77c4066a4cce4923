"""Feeding the projector from the application's notification log (the embedded server).

The runner reads the log in order, projects a batch of events in one session and commits the
views, each stream's position and the log position together: a crash loses nothing and a
restart resumes where the last commit ended. Two runners on one store conflict and retry.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from application.projections.keys import VIEWS_VERSION, LogPosition, ViewsVersion
from application.projections.projector import Projector, Route
from application.projections.session import Session, Views
from application.projections.staging import Staging
from application.projections.store import ReadModel, ViewConflictError

_ATTEMPTS = 5
_REBUILD_PAGE = 1000
# Looked up once: an enum member costs a class attribute lookup on every use.
_SKIP, _PROJECT = Route.SKIP, Route.PROJECT


class ProjectionRunner:
    """Brings a read model up to date with an application's notification log."""

    def __init__(
        self,
        app: Application[Any],
        store: ReadModel,
        projector: Projector | None = None,
        batch: int = 1000,
    ) -> None:
        self.app = app
        self.store = store
        self.projector = projector or Projector()
        # A store with a small transaction limit gets one event per commit (≤ 30 writes).
        self.batch = batch if store.max_batch is None else 1
        self.log = LogPosition(app.name)

    def pending(self) -> int:
        """Return how many notifications are not projected yet."""
        return max(
            0, (self.app.recorder.max_notification_id() or 0) - self.store.position(self.log)
        )

    def outdated(self) -> bool:
        """Return whether the store holds views of an older version (built before this
        projector kept some of its views): they are rebuilt rather than continued."""
        if self.store.position(ViewsVersion()) >= VIEWS_VERSION:
            return False
        return self.store.position(self.log) > 0

    def run(self, progress: Callable[[int], None] | None = None) -> int:
        """Project everything new; return the number of events applied to views.

        Views of an older version (see :meth:`outdated`) are rebuilt from the whole log
        first: continuing them would leave every view they lack empty for the past.
        """
        if self.outdated():
            return self.rebuild(progress)
        applied = 0
        while True:
            for attempt in range(_ATTEMPTS):
                try:
                    done, read = self._step()
                except ViewConflictError:
                    if attempt == _ATTEMPTS - 1:
                        raise
                    continue
                break
            applied += done
            if progress is not None and read:
                progress(read)
            if read < self.batch:
                return applied

    def rebuild(self, progress: Callable[[int], None] | None = None, *, chunk: int = 5000) -> int:
        """Delete every view and project the whole log again.

        The views are folded in memory first (see Staging) and then written in batches of
        ``chunk`` items: a fresh store would otherwise answer a read for every new row,
        which is most of the cost. Until the last batch is written, readers see a partial
        rebuild; the log position is written last, so an interrupted rebuild starts over.
        """
        with _collector_paused():
            return self._rebuild(progress, chunk)

    def _rebuild(self, progress: Callable[[int], None] | None, chunk: int) -> int:
        staged = Staging()
        projector = Projector(self.projector.shards, counting=False, remembering=True)
        start = 0
        while notifications := self.app.recorder.select_notifications(
            start, _REBUILD_PAGE, inclusive_of_start=False
        ):
            self._project(projector, staged, notifications)
            start = notifications[-1].id
            if progress is not None:
                progress(len(notifications))
        if start:
            staged.track(self.log, start)
        self.store.clear()
        size = min(chunk, self.store.max_batch or chunk)
        for batch in staged.batches(size, projector.counts, self.store.in_write_order):
            self.store.commit(batch)
        return staged.events

    def _step(self) -> tuple[int, int]:
        session = Session(self.store)
        start = session.position(self.log)
        notifications = self.app.recorder.select_notifications(
            start, self.batch, inclusive_of_start=False
        )
        if not notifications:
            return 0, 0
        self._project(self.projector, session, notifications)
        applied = session.events
        if not start:
            # Views begun on an empty store are of the current version from the start.
            session.track(ViewsVersion(), VIEWS_VERSION)
        session.track(self.log, notifications[-1].id)
        session.commit()
        return applied, len(notifications)

    def _project(
        self, projector: Projector, views: Views, notifications: Sequence[Notification]
    ) -> None:
        # The page is decoded whole, then projected: each loop keeps to its own code and data,
        # which spares a tenth of a rebuild's time against decoding and projecting in turn.
        decode = self.app.mapper.to_domain_event
        routed = [(projector.route(n.topic), n) for n in notifications]
        events = [decode(n) if r is _PROJECT else None for r, n in routed]
        for (route, notification), event in zip(routed, events, strict=True):
            if route is _SKIP:
                stream, _ = projector.stream(notification.originator_id)
                projector.skip(views, stream, notification.originator_version)
            elif route is _PROJECT:
                projector.project(views, event)  # type: ignore[arg-type]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a rebuild folds the views in memory.

    The staged views are a few container objects per row, all alive until written, and the
    collector's passes over them cost a rebuild about a seventh of its time while finding
    nothing (rows and decoded events hold no cycles; reference counting frees the events).
    The collector is process-wide: it is resumed at the end, and left alone if it was off
    already (by a caller, or by a rebuild running in another thread, which resumes it).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
