"""The POSIX TZ string at the end of a TZif file: a zone's current rules, as yearly RRULEs.

TZ strings are not iCalendar: this is a small parser for the forms tzdata writes (RFC 9636
section 3.3), e.g. ``CET-1CEST,M3.5.0,M10.5.0/3`` or ``<-03>3``.
"""

from __future__ import annotations

import calendar
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path

_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
_TWO_AM = timedelta(hours=2)


@dataclass(frozen=True)
class Change:
    """``Mm.w.d/time``: day ``d`` (0 = Sunday) of week ``w`` (5 = last) of month ``m``."""

    month: int
    week: int
    weekday: int
    time: timedelta  # local time in the offset in force before; may be < 0 or >= 24h

    def local(self, year: int) -> datetime:
        """Return the local wall time of this change in ``year``."""
        first = date(year, self.month, 1)
        shift = (self.weekday - (first.isoweekday() % 7)) % 7
        day = 1 + shift + 7 * (self.week - 1)
        if day > calendar.monthrange(year, self.month)[1]:
            day -= 7
        return datetime(year, self.month, day) + self.time

    def rrule(self) -> dict[str, object] | None:
        """Return the RRULE of this change, or None when it cannot be written as one."""
        days = self.time // timedelta(days=1)  # whole days a time past 24h (or < 0) moves it
        length = calendar.monthrange(2001, self.month)[1]  # February's is written negative
        if self.week == 5:
            first, last = length - 6 + days, length + days
            if self.month == 2:
                first, last = first - length - 1, last - length - 1
            if last > length or (self.month == 2 and last >= 0):
                return None
        else:
            first, last = 7 * (self.week - 1) + 1 + days, 7 * self.week + days
            if first < 1 or last > length:
                return None
        weekday = _DAYS[(self.weekday + days) % 7]
        rule: dict[str, object] = {"FREQ": "YEARLY", "BYMONTH": self.month}
        if days == 0:
            rule["BYDAY"] = f"{-1 if self.week == 5 else self.week}{weekday}"
        else:  # e.g. "the Friday after the fourth Thursday", as Outlook writes Israel's rule
            rule["BYDAY"] = weekday
            rule["BYMONTHDAY"] = list(range(first, last + 1))
        return rule


@dataclass(frozen=True)
class PosixZone:
    """A zone's rules: standard offset and name, and DST's with its two changes if any."""

    std_name: str
    std_offset: timedelta
    dst_name: str | None = None
    dst_offset: timedelta | None = None
    to_dst: Change | None = None
    to_std: Change | None = None


class _Reader:
    """Reads one TZ string left to right; raises ValueError on anything unexpected."""

    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def peek(self) -> str:
        return self.text[self.at : self.at + 1]

    def name(self) -> str:
        if self.peek() == "<":
            end = self.text.index(">", self.at)
            found, self.at = self.text[self.at + 1 : end], end + 1
            return found
        start = self.at
        while self.peek().isalpha():
            self.at += 1
        if self.at - start < 3:
            raise ValueError(f"bad zone name in {self.text!r}")
        return self.text[start : self.at]

    def duration(self) -> timedelta:
        sign = -1 if self.peek() == "-" else 1
        if self.peek() and self.peek() in "+-":
            self.at += 1
        parts = [self.number()]
        while self.peek() == ":" and len(parts) < 3:
            self.at += 1
            parts.append(self.number())
        hours, minutes, seconds = (*parts, 0, 0)[:3]
        return sign * timedelta(hours=hours, minutes=minutes, seconds=seconds)

    def number(self) -> int:
        start = self.at
        while self.peek().isdigit():
            self.at += 1
        if start == self.at:
            raise ValueError(f"expected a number in {self.text!r}")
        return int(self.text[start : self.at])

    def change(self) -> Change:
        if self.peek() != "M":
            raise ValueError(f"only Mm.w.d rules are supported: {self.text!r}")
        self.at += 1
        month = self.number()
        self.expect(".")
        week = self.number()
        self.expect(".")
        weekday = self.number()
        time = _TWO_AM
        if self.peek() == "/":
            self.at += 1
            time = self.duration()
        if not (1 <= month <= 12 and 1 <= week <= 5 and 0 <= weekday <= 6):
            raise ValueError(f"bad rule in {self.text!r}")
        return Change(month, week, weekday, time)

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} in {self.text!r}")
        self.at += 1


def parse(text: str) -> PosixZone:
    """Return the rules of a TZ string; ValueError if it is not a form handled here."""
    reader = _Reader(text)
    std_name = reader.name()
    std_offset = -reader.duration()  # POSIX offsets count west of Greenwich
    if not reader.peek():
        return PosixZone(std_name, std_offset)
    dst_name = reader.name()
    dst_offset = std_offset + timedelta(hours=1)
    if reader.peek() and reader.peek() != ",":
        dst_offset = -reader.duration()
    reader.expect(",")  # without rules POSIX means US rules of 1987: not guessed here
    to_dst = reader.change()
    reader.expect(",")
    to_std = reader.change()
    if reader.peek():
        raise ValueError(f"trailing text in {text!r}")
    return PosixZone(std_name, std_offset, dst_name, dst_offset, to_dst, to_std)


def _tzif(key: str) -> bytes:
    """Return the TZif file ZoneInfo(key) reads: the system's first, else the tzdata package's."""
    parts = key.split("/")
    if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a zone key: {key!r}")
    for folder in zoneinfo.TZPATH:
        path = Path(folder).joinpath(*parts)
        if path.is_file():
            return path.read_bytes()
    return files("tzdata.zoneinfo").joinpath(*parts).read_bytes()


@cache
def footer(key: str) -> PosixZone | None:
    """Return the current rules of an IANA zone from its TZif footer, or None if unusable."""
    try:
        data = _tzif(key)
        return parse(data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
