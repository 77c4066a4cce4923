"""An RRULE in words people read: "every week on Monday", "every 2 months, 6 times".

Only the common shapes are put in words (what calendar apps offer in their repeat menus); a
rule with parts this does not word (BYSETPOS, BYWEEKNO, BYHOUR…) is said to repeat "on a
custom schedule" rather than worded wrongly: the calendar part carries the exact rule.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_ADVERBS = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}
_DAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_WORDED = frozenset(
    {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL", "WKST"}
)
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
CUSTOM = "repeats on a custom schedule"


def _parts(rule: str) -> dict[str, str] | None:
    parts: dict[str, str] = {}
    for piece in rule.upper().replace(" ", "").split(";"):
        name, equals, value = piece.partition("=")
        if not equals or not value or name in parts:
            return None
        parts[name] = value
    return parts


def _interval(parts: dict[str, str]) -> int | None:
    text = parts.get("INTERVAL", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 1000 else None


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _weekdays(value: str) -> str | None:
    words = []
    for item in value.split(","):
        found = _BYDAY.fullmatch(item)
        if found is None:
            return None
        number, day = found.groups()
        if number is None:
            words.append(_DAYS[day])
        elif int(number) in _ORDINALS:
            words.append(f"the {_ORDINALS[int(number)]} {_DAYS[day]}")
        else:
            return None
    return _listed(words)


def _month_days(value: str) -> str | None:
    days = []
    for item in value.split(","):
        if not item.lstrip("-").isdigit() or not 1 <= abs(int(item)) <= 31:
            return None
        days.append("the last day" if item == "-1" else f"day {int(item)}")
    return _listed(days)


def _until(value: str, where: tzinfo) -> str | None:
    try:
        if "T" not in value:
            moment = datetime.strptime(value, "%Y%m%d")
        elif value.endswith("Z"):
            moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            moment = moment.astimezone(where)
        else:
            moment = datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def repeat_text(rule: str | None, where: tzinfo = UTC) -> str | None:
    """Return how often an event repeats, in words (None for no rule); ``where`` is the
    event's zone, in which a UTC UNTIL is shown as a day."""
    if not rule:
        return None
    parts = _parts(rule)
    if parts is None or parts.get("FREQ") not in _UNITS or not set(parts) <= _WORDED:
        return CUSTOM
    frequency = parts["FREQ"]
    interval = _interval(parts)
    if interval is None:
        return CUSTOM
    unit = _UNITS[frequency]
    words = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
    details: list[str | None] = []
    if "BYMONTH" in parts:
        months = parts["BYMONTH"].split(",")
        if not all(m.isdigit() and 1 <= int(m) <= 12 for m in months):
            return CUSTOM
        details.append("in " + _listed([_MONTHS[int(m) - 1] for m in months]))
    if "BYMONTHDAY" in parts:
        details.append("on " + (_month_days(parts["BYMONTHDAY"]) or ""))
    if "BYDAY" in parts:
        weekdays = _weekdays(parts["BYDAY"])
        details.append(None if weekdays is None else "on " + weekdays)
    if any(d is None or d == "on " for d in details):
        return CUSTOM
    text = " ".join([words, *(d for d in details if d)])
    if "COUNT" in parts:
        count = parts["COUNT"]
        if not count.isdigit() or int(count) < 1:
            return CUSTOM
        text += ", once" if int(count) == 1 else f", {int(count)} times"
    if "UNTIL" in parts:
        until = _until(parts["UNTIL"], where)
        if until is None:
            return CUSTOM
        text += f", until {until}"
    return text


def frequency_text(rule: str | None) -> str | None:
    """Return one or two words for a Subject: "weekly", "every 2 weeks", "repeating"."""
    if not rule:
        return None
    parts = _parts(rule) or {}
    frequency = parts.get("FREQ")
    if frequency not in _UNITS:
        return "repeating"
    interval = _interval(parts)
    if interval == 1:
        return _ADVERBS[frequency]
    return "repeating" if interval is None else f"every {interval} {_UNITS[frequency]}s"
