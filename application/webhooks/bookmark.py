"""Where the embedded fan-out stopped reading the event log, kept beside the views' positions.

If it is lost (the views rebuilt), the fan-out reads the log again from the start: that sends
nothing twice (messages are keyed by event and endpoint) and nothing old (an endpoint gets
only events from after it was registered).
"""

from __future__ import annotations

from application.projections.keys import LogPosition
from application.projections.session import Session, committed
from application.projections.store import ReadModel

_KEY = LogPosition("webhooks")


class LogBookmark:
    """The fan-out's position in the notification log."""

    def __init__(self, views: ReadModel) -> None:
        self.views = views

    def position(self) -> int:
        """Return the last notification id fanned out."""
        return self.views.position(_KEY)

    def advance(self, position: int) -> None:
        """Record that everything up to ``position`` is fanned out."""

        def track(session: Session) -> None:
            if session.position(_KEY) < position:
                session.track(_KEY, position)

        committed(self.views, track)
