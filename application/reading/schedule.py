"""When an invite is over: its last occurrence ended before now.

Sending an invitation to something that is over is allowed (an organizer may want the record
in people's calendars), but it is most often a mistake: the send says so.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dateutil.rrule import rrulestr

from domain.invite import Invite
from domain.values import EventDetails

# Floating times and dates are some zone's local time, and a stored offset does not follow a
# series across daylight saving: an event counts as over only this long after its end, which
# covers every zone (none is further than 14 hours from UTC).
GRACE = timedelta(hours=14)
# A COUNT series is expanded to find its last occurrence; one whose occurrences before now are
# more than this many (a rule every minute for years) is taken as not over rather than walked.
_MOST_OCCURRENCES = 20_000


def ended_at(invite: Invite, now: datetime) -> datetime | None:
    """Return when the invite's last occurrence ended (UTC), if that is more than ``GRACE``
    before ``now``; None while any occurrence is to come or running, for an open-ended series
    (RRULE without UNTIL or COUNT), and when its times cannot be read."""
    ends = [_last_end(o.details, now) for o in invite.occurrences.values()]
    if not ends or any(end is None for end in ends):
        return None
    last = max(end for end in ends if end is not None)
    return last if last + GRACE < now else None


def over_warning(invite: Invite, now: datetime) -> str | None:
    """Return a sentence warning that the invite is over, or None when it is not."""
    end = ended_at(invite, now)
    if end is None:
        return None
    return (
        f"this event is over: its last occurrence ended {end:%Y-%m-%d %H:%M} UTC, so "
        "recipients are invited to something in the past"
    )


def _last_end(details: EventDetails, now: datetime) -> datetime | None:
    """Return the latest end of one VEVENT (its series' when it recurs), or None if unknown."""
    start = _instant(details.start)
    if start is None:
        return None
    end = _instant(details.end)
    if end is None:
        # RFC 5545: a DATE start without an end lasts the day; a DATE-TIME one, no time.
        end = start + timedelta(days=1) if _is_date(details.start) else start
    duration = max(end - start, timedelta(0))
    last = end
    if details.rrule:
        series = _series_last_start(details.rrule, str(details.start), now)
        if series is None:
            return None
        last = max(last, series + duration)
    for text in details.rdates:
        extra = _instant(text)
        if extra is not None:
            last = max(last, extra + duration)
    return last


def _series_last_start(rule: str, start: str, now: datetime) -> datetime | None:
    """Return the last start a recurrence rule allows (UNTIL: an upper bound), or None if the
    series is open-ended, still running at ``now`` or unreadable."""
    parts = dict(
        part.split("=", 1) for part in rule.upper().replace(" ", "").split(";") if "=" in part
    )
    if "UNTIL" in parts:
        until = _basic_instant(parts["UNTIL"])
        if until is None:
            return None
        # A DATE UNTIL includes its whole day.
        return until + timedelta(days=1) if len(parts["UNTIL"]) == 8 else until
    if "COUNT" not in parts:
        return None  # open-ended: never over
    try:
        if int(parts["COUNT"]) > _MOST_OCCURRENCES:
            return None
        # Expanded in the organizer's wall time: BYDAY and BYHOUR name local days and hours.
        first = datetime.fromisoformat(start if "T" in start else start[:10])
        offset = first.utcoffset() or timedelta(0)
        wall = first.replace(tzinfo=None)
        floor = now.astimezone(UTC).replace(tzinfo=None) + offset
        last = None
        for occurrence in rrulestr(rule, dtstart=wall, ignoretz=True):
            if occurrence > floor:
                return None  # an occurrence still to come
            last = occurrence
    except (ValueError, TypeError, OverflowError):
        return None
    return None if last is None else (last - offset).replace(tzinfo=UTC)


def _is_date(text: str | None) -> bool:
    return bool(text) and "T" not in str(text)


def _instant(text: str | None) -> datetime | None:
    """Return ISO text as an aware UTC datetime (a date at midnight, floating as UTC)."""
    if not text:
        return None
    try:
        if "T" not in text:
            day = date.fromisoformat(text[:10])
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _basic_instant(text: str) -> datetime | None:
    """Return an RFC 5545 DATE or DATE-TIME (basic format, as in UNTIL) in UTC, or None."""
    try:
        if len(text) == 8:
            return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)
        return datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
