"""Rich tables for people; the JSON forms are the scripting contract."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from application.reading.history import HistoryEntry
from application.reading.views import InviteView


def _cell(value: object) -> Text:
    # Text, not markup: a title like "[b]" from a message must print as written.
    return Text("" if value is None else str(value))


def invite_table(view: InviteView) -> Table:
    """Return the current state of one invite as a two-column table."""
    table = Table(title=Text(view.summary or "(no title)"), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for name in (
        "invite",
        "uid",
        "organizer",
        "status",
        "start",
        "end",
        "timezone",
        "all_day",
        "rrule",
        "location",
        "sequence",
        "update_count",
        "counter_count",
    ):
        table.add_row(name, _cell(getattr(view, name)))
    for attendee in view.attendees:
        label = attendee.address if not attendee.name else f"{attendee.name} <{attendee.address}>"
        table.add_row("attendee", _cell(f"{label}: {attendee.partstat}"))
    for instance in view.instances:
        table.add_row(
            "instance",
            _cell(
                f"{instance.recurrence_id}: {instance.status} "
                f"({instance.start or ''} {instance.summary or ''})"
            ),
        )
    return table


def history_table(entries: Iterable[HistoryEntry]) -> Table:
    """Return an invite's events as a table, one row per event."""
    table = Table(title="history")
    for column in ("version", "type", "timestamp", "what"):
        table.add_column(column)
    for entry in entries:
        what = ", ".join(f"{k}={_brief(v)}" for k, v in entry.data.items())
        table.add_row(str(entry.version), entry.type, entry.timestamp.isoformat(), _cell(what))
    return table


def _brief(value: object) -> str:
    if isinstance(value, dict):
        keys = ("summary", "start", "sequence")
        return "{" + ", ".join(f"{k}={value[k]}" for k in keys if value.get(k) is not None) + "}"
    return str(value)


def invites_table(views: Iterable[InviteView]) -> Table:
    """Return one row per invite."""
    table = Table(title="invites")
    for column in ("invite", "organizer", "summary", "start", "status", "seq", "updates"):
        table.add_column(column)
    for v in views:
        table.add_row(
            str(v.invite),
            _cell(v.organizer),
            _cell(v.summary),
            _cell(v.start),
            v.status,
            str(v.sequence),
            str(v.update_count),
        )
    return table


def print_outcome_summary(console: Console, outcomes: Counter[str]) -> None:
    """Print how many messages ended as each outcome."""
    table = Table(title="outcomes")
    table.add_column("outcome")
    table.add_column("messages", justify="right")
    for outcome, count in sorted(outcomes.items()):
        table.add_row(outcome, str(count))
    table.add_row("total", str(sum(outcomes.values())), style="bold")
    console.print(table)
