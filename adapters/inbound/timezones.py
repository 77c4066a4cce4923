"""TZID resolution: IANA names, Windows names, legacy Outlook display names, VTIMEZONE fallback.

A TZID is only ever looked up in tables (IANA's list, CLDR's Windows mapping shipped with
icalendar, and the small table below); it is never used as a file path.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from datetime import tzinfo
from functools import cache, lru_cache

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

# Outlook, Exchange CDO and Lotus Notes write a zone's display name instead of its id. Only
# names that denote one set of rules are listed; "GMT +0100 (Standard) / ..." is not.
_DISPLAY_NAMES = {
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Pacific Time (US & Canada); Tijuana": "America/Los_Angeles",
    "Mountain Time (US & Canada)": "America/Denver",
    "Central Time (US & Canada)": "America/Chicago",
    "Eastern Time (US & Canada)": "America/New_York",
    "Atlantic Time (Canada)": "America/Halifax",
    "Alaska": "America/Anchorage",
    "Hawaii": "Pacific/Honolulu",
    "Arizona": "America/Phoenix",
    "Brasilia": "America/Sao_Paulo",
    "City of Buenos Aires": "America/Argentina/Buenos_Aires",
    "Coordinated Universal Time": "UTC",
    "Dublin, Edinburgh, Lisbon, London": "Europe/London",
    "Greenwich Mean Time: Dublin, Edinburgh, Lisbon, London": "Europe/London",
    "Monrovia, Reykjavik": "Atlantic/Reykjavik",
    "Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna": "Europe/Berlin",
    "Belgrade, Bratislava, Budapest, Ljubljana, Prague": "Europe/Budapest",
    "Brussels, Copenhagen, Madrid, Paris": "Europe/Paris",
    "Bruxelles, Copenhague, Madrid, Paris": "Europe/Paris",
    "Sarajevo, Skopje, Warsaw, Zagreb": "Europe/Warsaw",
    "West Central Africa": "Africa/Lagos",
    "Athens, Bucharest": "Europe/Bucharest",
    "Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius": "Europe/Kiev",
    "Helsinki, Kiev, Riga, Sofia, Tallinn, Vilnius": "Europe/Kiev",
    "Jerusalem": "Asia/Jerusalem",
    "Cairo": "Africa/Cairo",
    "Istanbul": "Europe/Istanbul",
    "Moscow, St. Petersburg": "Europe/Moscow",
    "Moscow, St. Petersburg, Volgograd": "Europe/Moscow",
    "Abu Dhabi, Muscat": "Asia/Dubai",
    "Chennai, Kolkata, Mumbai, New Delhi": "Asia/Kolkata",
    "Bangkok, Hanoi, Jakarta": "Asia/Bangkok",
    "Beijing, Chongqing, Hong Kong, Urumqi": "Asia/Shanghai",
    "Kuala Lumpur, Singapore": "Asia/Singapore",
    "Osaka, Sapporo, Tokyo": "Asia/Tokyo",
    "Seoul": "Asia/Seoul",
    "Brisbane": "Australia/Brisbane",
    "Canberra, Melbourne, Sydney": "Australia/Sydney",
    "Auckland, Wellington": "Pacific/Auckland",
}


def _words(name: str) -> str:
    """Return ``name`` without accents, case and punctuation: the key display names match on."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    kept = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(kept.split())


def _without_offset_prefix(name: str) -> str:
    """Drop a leading "(UTC+01:00)" or "(GMT-08.00)" label from a display name."""
    if name.startswith("(") and name[1:4].upper() in ("UTC", "GMT") and ")" in name:
        return name[name.index(")") + 1 :]
    return name


@cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Return the IANA, Windows and display-name lookup tables, keyed case-insensitively."""
    iana = {name.casefold(): name for name in zoneinfo.available_timezones()}
    windows = {key.casefold(): value for key, value in WINDOWS_TO_OLSON.items()}
    display = {_words(key): value for key, value in _DISPLAY_NAMES.items()}
    return iana, windows, display


@lru_cache(maxsize=1024)
def iana_name(tzid: str) -> str | None:
    """Return the IANA zone a TZID denotes, or None when it cannot be told unambiguously."""
    iana, windows, display = _tables()
    name = tzid.replace("\\", "").strip().strip('"').strip()
    if name.upper() in ("Z", "UTC", "GMT", "ETC/UTC"):
        return "UTC"
    candidates = [name]
    if name.startswith("/"):
        # RFC 5545 "globally unique" ids: /vendor/.../Europe/Paris
        parts = name.strip("/").split("/")
        candidates += ["/".join(parts[i:]) for i in range(len(parts))]
    for candidate in candidates:
        if candidate.casefold() in iana:
            return iana[candidate.casefold()]
    # Lotus Notes writes Windows ids without the " Standard Time" suffix ("W. Europe").
    for key in (name.casefold(), name.casefold() + " standard time"):
        if key in windows:
            return windows[key]
    return display.get(_words(_without_offset_prefix(name)))


@cache
def zone(name: str) -> tzinfo:
    """Return the tzinfo of an IANA name returned by :func:`iana_name`."""
    return zoneinfo.ZoneInfo(name)
