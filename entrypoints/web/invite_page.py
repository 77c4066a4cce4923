"""What the invite page shows, in words: its history, its times, its charts.

Pure functions over what the reading door returns (summaries, history entries, statistics),
so the route stays a sequence of calls and the words are testable without a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from application.links.calendar_links import LABELS, WEB_CALENDARS, Provider
from application.reading.history import HistoryEntry
from entrypoints.web.charts import Chart, bar_chart

# The answers the page always shows, in the order people read them; others only when counted.
ANSWERS = ("accepted", "declined", "tentative", "no answer", "bounced")


@dataclass(frozen=True)
class Happening:
    """One entry of the version history as the page lists it."""

    version: int
    kind: str
    at: str
    iso: str
    words: str


def happenings(entries: list[HistoryEntry]) -> list[Happening]:
    """Return the invite's history in words, newest first."""
    shown = []
    for entry in reversed(entries):
        kind, words = _described(entry.type, entry.data)
        shown.append(
            Happening(
                entry.version, kind, when(entry.timestamp), entry.timestamp.isoformat(), words
            )
        )
    return shown


def _described(kind: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """Return the entry's name and its sentence (unknown kinds by their name: nothing hidden)."""
    instance = data.get("recurrence_id")
    changed = _changed(data)
    sequence = _sequence(data)
    if kind == "Created":
        return "Created", "The server first recorded this invitation."
    if kind == "Scheduled":
        return "Scheduled", f"The organizer's first version arrived{sequence}."
    if kind == "Updated":
        return "Updated", f"The organizer changed {changed}{sequence}."
    if kind == "Cancelled":
        return "Cancelled", f"The organizer cancelled the event{sequence}."
    if kind == "InstanceOverridden":
        return "Instance changed", f"The occurrence {instance} changed: {changed}{sequence}."
    if kind == "InstanceCancelled":
        return "Instance cancelled", f"The occurrence {instance} was cancelled{sequence}."
    if kind == "LateVersionRecorded":
        return "Late version", f"An older version of {instance} arrived after its cancellation."
    if kind == "CounterProposed":
        return "Counter-proposal", f"{data.get('attendee')} proposed another time or place."
    if kind == "RefreshRequested":
        return "Refresh asked", f"{data.get('attendee')} asked for the latest version."
    if kind == "SenderNoted":
        return "Sender checked", _sender(data)
    return kind, "Recorded."


def _changed(data: Mapping[str, Any]) -> str:
    fields = data.get("changed_fields")
    if not fields:
        return "nothing people see"
    return ", ".join(str(f) for f in fields)


def _sequence(data: Mapping[str, Any]) -> str:
    revision = data.get("revision")
    if isinstance(revision, Mapping) and "sequence" in revision:
        return f" (SEQUENCE {revision['sequence']})"
    return ""


def _sender(data: Mapping[str, Any]) -> str:
    if data.get("outcome") == "rejected":
        reason = data.get("reason") or "no reason given"
        return f"A message in the organizer's name was refused: {reason}."
    vouched = data.get("vouched_by")
    return f"A message from the organizer was accepted (vouched for by {vouched or 'nobody'})."


def when(moment: datetime | str | None, zone: str | None = None) -> str:
    """Return a time as people read it: "Thu 19 Mar 2015, 23:30 UTC" (a date alone for
    all-day events; the text as given if it is no ISO time)."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment
        if len(moment) == 10:
            return parsed.strftime("%a %d %b %Y")
        moment = parsed
    if moment.tzinfo is None:
        label = zone or "floating time"
    else:
        label = zone or (
            "UTC" if moment.utcoffset() == UTC.utcoffset(None) else moment.strftime("%z")
        )
    return f"{moment.strftime('%a %d %b %Y, %H:%M')} {label}"


def charts(statistics: Mapping[str, Any] | None) -> list[Chart]:
    """Return the invite's charts: answers by status, by replying client, by origin."""
    statistics = statistics or {}
    by_status: Mapping[str, int] = statistics.get("by_status", {})
    answers = {name: by_status.get(name, 0) for name in ANSWERS}
    answers |= {name: n for name, n in by_status.items() if name not in answers and n}
    return [
        bar_chart("answers", "Answers by status", "Status", answers),
        bar_chart(
            "clients", "Replies by calendar client", "Client", statistics.get("by_client", {})
        ),
        bar_chart("origins", "Recipients by origin", "Origin", statistics.get("by_origin", {})),
        bar_chart(
            "added",
            "Added via link, by calendar (not among the recipients)",
            "Calendar",
            statistics.get("added_via_link", {}),
        ),
    ]


@dataclass(frozen=True)
class CalendarCopyLink:
    """An add-to-calendar link an organizer copies (the shape of the page's copy links)."""

    key: str
    label: str
    url: str
    hint: str


def calendar_copy_links(landing: str) -> list[CalendarCopyLink]:
    """Return the invite's add-to-calendar links, made from its landing link: each goes
    through the landing page's redirect (``/landing/{invite}/add/{calendar}``), which counts
    the people who use it as "added via link"."""
    path, _, signed = landing.partition("?")
    return [
        CalendarCopyLink(
            f"add-{calendar}",
            f"Add to {LABELS[calendar]}",
            f"{path}/add/{calendar}?{signed}",
            "For a web page or a newsletter: adds the event as it is now, and counts the "
            "click. Invited people get updates; these people do not.",
        )
        for calendar in (*WEB_CALENDARS, Provider.ICS)
    ]
