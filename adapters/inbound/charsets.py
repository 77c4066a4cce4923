"""Turning a calendar part's bytes into text whatever charset it claims (or does not claim)."""

from __future__ import annotations

import codecs

# Tried in order after the declared charset: UTF-8 is what RFC 5545 mandates, windows-1252
# is what unlabelled non-UTF-8 calendars almost always are, latin-1 decodes anything.
_FALLBACKS = ("utf-8-sig", "windows-1252", "latin-1")


def _text_codec(name: str | None) -> str | None:
    """Return the codec name for a declared charset, or None if Python has no such text codec."""
    if not name:
        return None
    try:
        info = codecs.lookup(name.strip().strip('"'))
    except (LookupError, ValueError):
        return None
    # codecs.lookup also finds bytes-to-bytes codecs such as "base64" or "zlib".
    if not getattr(info, "_is_text_encoding", True):
        return None
    return "utf-8-sig" if info.name == "utf-8" else info.name


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode ``data`` with its declared charset if that works, else UTF-8, cp1252, latin-1."""
    declared = _text_codec(charset)
    for name in (declared, *_FALLBACKS) if declared else _FALLBACKS:
        try:
            return data.decode(name)
        except (UnicodeError, LookupError):
            continue
    return data.decode("latin-1")
