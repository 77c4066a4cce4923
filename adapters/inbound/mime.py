"""What the raw bytes are (email, bare .ics, TNEF) and where an email keeps its calendar."""

from __future__ import annotations

import codecs
import email
import email.policy
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr

from domain.identity import normalize_address

TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
# Real mail's headers take a few KB (the corpus' largest, with its Received and DKIM chain,
# 7 KB; Exchange refuses more than 256 KB): more is not read at all.
MOST_HEADER_BYTES = 256 * 1024
# Each header is cut to this before it is decoded: decoding a run of encoded words costs
# more than linear time (a 21 MB Subject took 139 s), and only 300 characters are kept.
_LONGEST_HEADER = 4096
# A message is From one author; forgers add a second header, nobody adds a hundred.
_MOST_FROM_HEADERS = 8


@dataclass(frozen=True)
class CalendarPart:
    """One calendar body found in a message, transfer-decoded but still in its own charset."""

    data: bytes
    charset: str | None = None
    method: str | None = None


@dataclass(frozen=True)
class Envelope:
    """What the MIME structure says, before any calendar is parsed."""

    parts: tuple[CalendarPart, ...] = ()
    sender: str | None = None
    bounce: bool = False
    tnef: bool = False
    has_headers: bool = True
    # Marked by its headers as sent by a machine (RFC 3834 and conventions).
    automatic: bool = False
    # From an address only machines use (noreply@…): a calendar service relaying an
    # organizer's invite (iCloud) writes from one too, so this alone does not silence notices.
    machine_sender: bool = False
    subject: str | None = None
    text: str | None = None
    from_addresses: tuple[str, ...] = ()
    # The From header's display name, decoded (None without one).
    sender_name: str | None = None


def is_tnef(raw: bytes) -> bool:
    """Return whether ``raw`` is a bare TNEF stream (an Outlook winmail.dat)."""
    return raw[:4] == TNEF_SIGNATURE


def is_bare_calendar(raw: bytes) -> bool:
    """Return whether ``raw`` is an iCalendar file rather than an email."""
    body = raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw
    return body.lstrip()[:15].lower() == b"begin:vcalendar"


def header_section_too_large(raw: bytes) -> bool:
    """Return whether the header section of ``raw`` is longer than MOST_HEADER_BYTES."""
    if len(raw) <= MOST_HEADER_BYTES:
        return False
    head = raw[: MOST_HEADER_BYTES + 4]
    return b"\r\n\r\n" not in head and b"\n\n" not in head


def _cut(value: object) -> str:
    """Return a header's raw text cut to _LONGEST_HEADER, at a space so no word is split."""
    text = str(value)
    if len(text) <= _LONGEST_HEADER:
        return text
    text = text[:_LONGEST_HEADER]
    space = max(text.rfind(" "), text.rfind("\t"), text.rfind("\n"))
    return text[:space] if space > 0 else text


def _param(part: Message, name: str) -> str | None:
    """Return a Content-Type parameter as plain text (RFC 2231 values collapsed)."""
    value = part.get_param(name)
    if value is None or value == "":
        return None
    return str(collapse_rfc2231_value(value)).strip()


def read_sender(message: Message) -> str | None:
    """Return the normalized From address, or None if there is no usable one."""
    return _sender(message)


def read_from_addresses(message: Message) -> tuple[str, ...]:
    """Return every address of every From header, normalized, in order (RFC 5322 allows a
    list, and forgers add a second header): more than one means no single sender."""
    headers = [_cut(h) for h in (message.get_all("From") or [])[:_MOST_FROM_HEADERS]]
    found = [normalize_address(spec) for _, spec in getaddresses(headers) if "@" in spec]
    # An unparseable From still counts as one: its author is unknown, not absent.
    return tuple(found) or tuple("" for _ in headers[:1])


def read_subject(message: Message) -> str | None:
    """Return the decoded Subject on one line, or None."""
    return _header_text(message.get("Subject"))


def _sender_name(message: Message) -> str | None:
    """Return the display name of the one From address, decoded, or None."""
    header = message.get("From")
    if header is None:
        return None
    name = _header_text(parseaddr(_cut(header))[0])
    # A name that is only the address again says nothing more than the address.
    return None if name is None or "@" in name else name


def _sender(message: Message) -> str | None:
    """Return the normalized From address, or None if there is no usable one."""
    header = message.get("From")
    if header is None:
        return None
    address = parseaddr(_cut(header))[1]
    return normalize_address(address) if "@" in address else None


def _is_bounce(part: Message, content_type: str) -> bool:
    if content_type == "message/delivery-status":
        return True
    report_type = _param(part, "report-type") if content_type == "multipart/report" else None
    return report_type is not None and report_type.lower() == "delivery-status"


def _rank(content_type: str, method: str | None) -> int:
    """Order calendar parts: text/calendar with a method first, then text/calendar, then rest."""
    if content_type != "text/calendar":
        return 2
    return 0 if method else 1


def read_email(raw: bytes) -> Envelope:
    """Parse ``raw`` as RFC 5322 mail and collect its calendar parts, best candidate first."""
    # compat32 never raises on malformed headers, which policy.default may do lazily.
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    found: list[tuple[int, CalendarPart]] = []
    tnef = False
    for part in message.walk():
        content_type = part.get_content_type()
        if _is_bounce(part, content_type):
            return Envelope(sender=_sender(message), bounce=True)
        if part.is_multipart():
            continue
        if content_type in CALENDAR_TYPES:
            is_calendar = True
        else:
            filename = (part.get_filename() or "").strip().lower()
            tnef = tnef or content_type in TNEF_TYPES or filename == "winmail.dat"
            is_calendar = filename.endswith(".ics")
        if is_calendar:
            payload = part.get_payload(decode=True)
            method = _param(part, "method")
            method = method.upper() if method else None
            data = payload if isinstance(payload, bytes) else b""
            found.append(
                (
                    _rank(content_type, method),
                    CalendarPart(data, part.get_content_charset(), method),
                )
            )
    found.sort(key=lambda ranked: ranked[0])
    return Envelope(
        parts=tuple(calendar for _, calendar in found),
        sender=_sender(message),
        tnef=tnef,
        has_headers=bool(message.keys()),
        automatic=marked_automatic(message),
        machine_sender=from_machine_address(message),
        subject=_header_text(message.get("Subject")),
        text=None if found else _plain_text(message),
        from_addresses=read_from_addresses(message),
        sender_name=_sender_name(message),
    )


_MACHINE_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "bounce")


def is_automatic(message: Message) -> bool:
    """Return whether a machine sent ``message`` (RFC 3834 and long-standing conventions)."""
    return marked_automatic(message) or from_machine_address(message)


def marked_automatic(message: Message) -> bool:
    """Return whether ``message``'s headers say a machine sent it (RFC 3834 and others)."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        auto not in ("", "no")
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
    )


def from_machine_address(message: Message) -> bool:
    """Return whether ``message`` comes from an address only machines use (noreply@…)."""
    local = (parseaddr(_cut(message.get("From", "")))[1].split("@", 1)[0]).lower()
    return local.startswith(_MACHINE_SENDERS)


def _header_text(value: object) -> str | None:
    if value is None:
        return None
    decoded = str(make_header(decode_header(_cut(value))))
    return " ".join(decoded.split())[:300] or None


def _plain_text(message: Message, limit: int = 8000) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset() or "utf-8"
                try:
                    text = payload.decode(charset, errors="replace")
                except LookupError:
                    text = payload.decode("utf-8", errors="replace")
                return text[:limit]
    return None
