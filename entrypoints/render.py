"""Rich tables for people; the JSON forms are the scripting contract."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from application.reading.history import HistoryEntry
from application.reading.report import RecipientView
from application.reading.views import InviteView

_INVITE_COLUMNS = ("invite", "organizer", "summary", "start", "status", "seq", "updates")


def _cell(value: object) -> Text:
    # Text, not markup: a title like "[b]" from a message must print as written.
    return Text("" if value is None else str(value))


def invite_table(view: InviteView, recipients: Iterable[RecipientView] = ()) -> Group:
    """Return one invite: its details, the organizer's attendees, and the server's recipients."""
    table = Table(title=Text(view.summary or "(no title)"), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
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
    for instance in view.instances:
        table.add_row(
            "instance",
            _cell(
                f"{instance.recurrence_id}: {instance.status} "
                f"({instance.start or ''} {instance.summary or ''})"
            ),
        )
    return Group(table, _attendees_table(view), _recipients_table(list(recipients)))


def _attendees_table(view: InviteView) -> Table:
    # Two lists that are easily confused: the organizer's ATTENDEEs are who their own
    # calendar invited; the server's recipients are who it sent copies to.
    table = Table(
        title="Attendees (the organizer's list)",
        caption=None if view.attendees else "none",
    )
    for column in ("address", "name", "answer", "role"):
        table.add_column(column, overflow="fold")
    for a in view.attendees:
        table.add_row(_cell(a.address), _cell(a.name), _cell(a.partstat.lower()), _cell(a.role))
    return table


def _recipients_table(recipients: list[RecipientView]) -> Table:
    table = Table(
        title="Recipients (sent by this server)",
        caption=None if recipients else "none yet: cis send INVITE --to ADDRESS",
    )
    for column in ("address", "name", "origin", "answer", "delivery", "seq", "replied"):
        table.add_column(column, overflow="fold")
    for r in recipients:
        row = r.row
        table.add_row(
            _cell(row.address),
            _cell(row.name),
            _cell(row.origin),
            _cell(row.status),
            _cell(r.delivery),
            _cell(row.last_sequence_sent),
            _cell(row.replied_at.isoformat() if row.replied_at else None),
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
    """Return one row per invite; ids are never cut (other columns wrap instead)."""
    table = Table(title="invites")
    for column in _INVITE_COLUMNS:
        if column == "invite":
            table.add_column(column, no_wrap=True, min_width=36)
        else:
            table.add_column(column, overflow="fold")
    for v in views:
        table.add_row(*(_cell(value) for value in _invite_cells(v)))
    return table


def invites_lines(views: Iterable[InviteView]) -> Iterator[str]:
    """Yield a header, then one tab-separated line per invite (for pipes and scripts)."""
    yield "\t".join(_INVITE_COLUMNS)
    for v in views:
        # A tab or line break inside a title would shift the columns.
        yield "\t".join(" ".join(_cell(value).plain.split()) for value in _invite_cells(v))


def _invite_cells(v: InviteView) -> tuple[object, ...]:
    return (v.invite, v.organizer, v.summary, v.start, v.status, v.sequence, v.update_count)


def print_outcome_summary(console: Console, outcomes: Counter[str]) -> None:
    """Print how many messages ended as each outcome."""
    table = Table(title="outcomes")
    table.add_column("outcome")
    table.add_column("messages", justify="right")
    for outcome, count in sorted(outcomes.items()):
        table.add_row(outcome, str(count))
    table.add_row("total", str(sum(outcomes.values())), style="bold")
    console.print(table)
