"""Which invites a subscription feed shows: upcoming and recent, cancellations for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from application.feeds.window import MAX_EVENTS, RECENT, chosen, in_window
from application.projections.invites import NO_START, start_key

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def summary(
    invite: str = "i1",
    *,
    start: datetime | None = NOW + timedelta(days=3),
    changed: datetime = NOW - timedelta(days=90),
    cancelled: bool = False,
) -> dict[str, Any]:
    return {
        "invite": invite,
        "starts_at": start_key(start.isoformat()) if start is not None else NO_START,
        "last_modified": changed.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "status": "cancelled" if cancelled else "confirmed",
    }


def test_upcoming_and_recently_started_events_are_shown_older_ones_not() -> None:
    assert in_window(summary(start=NOW + timedelta(days=400)), NOW)
    assert in_window(summary(start=NOW - RECENT + timedelta(minutes=1)), NOW)
    assert not in_window(summary(start=NOW - RECENT - timedelta(minutes=1)), NOW)


def test_an_old_series_changed_lately_is_shown() -> None:
    assert in_window(summary(start=NOW - timedelta(days=200), changed=NOW - timedelta(days=2)), NOW)


def test_a_cancellation_is_shown_for_thirty_days_whatever_the_start() -> None:
    lately = NOW - RECENT + timedelta(hours=1)
    assert in_window(summary(start=NOW + timedelta(days=9), changed=lately, cancelled=True), NOW)
    assert in_window(summary(start=NOW - timedelta(days=300), changed=lately, cancelled=True), NOW)
    long_ago = NOW - RECENT - timedelta(hours=1)
    assert not in_window(
        summary(start=NOW + timedelta(days=9), changed=long_ago, cancelled=True), NOW
    )


def test_an_event_without_a_start_is_never_shown() -> None:
    assert not in_window(summary(start=None, changed=NOW), NOW)


def test_chosen_is_soonest_first_once_each_and_bounded() -> None:
    many = [summary(f"i{n:05d}", start=NOW + timedelta(hours=n)) for n in range(MAX_EVENTS + 5)]
    shown = chosen([*reversed(many), many[0]], NOW)
    assert len(shown) == MAX_EVENTS
    assert [s["invite"] for s in shown] == [s["invite"] for s in many[:MAX_EVENTS]]
