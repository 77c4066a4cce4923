"""User text and addresses made safe for iCalendar values, headers and mail envelopes."""

from __future__ import annotations

import re

# RFC 5545 TEXT allows no control characters but HTAB (line breaks are escaped as \n).
_CALENDAR_DROP = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])

# Everything str.splitlines() or a mail parser could take for a line break, and every other
# control character, becomes a space before text goes near a header or a parameter.
_BREAKS = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029], " ")

# An addr-spec as the server issues them: no whitespace, controls, or address-list syntax.
_ADDRESS = re.compile(r"[^\s\x00-\x1f\x7f<>()\[\]\\,;:\"@]+@[^\s\x00-\x1f\x7f<>()\[\]\\,;:\"@]+")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
_LONGEST_ADDRESS = 320  # RFC 5321: 64 octets of local part, 255 of domain


def calendar_text(text: str | None) -> str | None:
    """Return ``text`` with LF line breaks and without the controls RFC 5545 forbids."""
    if text is None:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CALENDAR_DROP)


def one_line(text: str | None) -> str | None:
    """Return ``text`` on one line, single-spaced (None if nothing is left): safe in headers."""
    if text is None:
        return None
    return " ".join(text.translate(_BREAKS).split()) or None


def checked_address(address: str) -> str:
    """Return ``address`` if it is a plain addr-spec; raise ValueError for anything else."""
    if len(address) > _LONGEST_ADDRESS or not _ADDRESS.fullmatch(address):
        raise ValueError(f"not a mail address the server can send to: {address!r}")
    return address


def checked_message_id(message_id: str) -> str:
    """Return ``message_id`` if it is a bracketed id-left@id-right; raise ValueError otherwise."""
    if len(message_id) > _LONGEST_ADDRESS or not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError(f"not a Message-ID: {message_id!r}")
    return message_id
