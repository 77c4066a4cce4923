"""Removing a person from kept raw mail and uploaded lists: their address and their name.

Erasure deletes what is only about the person; what also concerns others (an organizer's
invitation to many, a recipient list) is kept with the person cut out. A needle is looked
for where a mail client would show it, not only in the raw bytes: header values are
decoded (RFC 2047 encoded words, raw 8-bit), bodies are decoded from their transfer
encoding (base64, quoted-printable) and charset, and calendar parts are unfolded (an
address folded across two lines is still the address). What is found is replaced, and the
part is encoded again as it came (same transfer encoding, same charset, same line ends).

The message is re-serialized by the ``email`` package's ``compat32`` policy, the one that
keeps parsed headers and bodies as they were; whitespace at the end of a header line or a
missing closing boundary may still come out normalized. Callers get None for a message
that does not mention the person, so such a message is never rewritten at all.
"""

from __future__ import annotations

import base64
import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from email import policy
from email.generator import BytesGenerator
from email.header import Header, decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.quoprimime import body_encode
from urllib.parse import quote, quote_plus

ERASED = "[erased]"
# An address stays an address, so the message still parses (``<[erased]>`` as a Message-ID
# breaks the email package's own header parser), and in a header a name becomes an atom
# (``[erased] <…>`` would read as an empty address).
ERASED_ADDRESS = "erased@erased.invalid"
ERASED_IN_HEADERS = "erased"
# Needles: what to look for, each replaced by ERASED (ERASED_ADDRESS for an address); or a
# mapping to what replaces each (e.g. an address by the placeholder the event log reads).
Needles = Sequence[str] | Mapping[str, str]

_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})
_TNEF = b"\x78\x9f\x3e\x22"
# Characters an address's local part commonly has: an address needle must not match inside
# a longer address (``anna@x.org`` in ``joanna@x.org``), which belongs to someone else.
# iCalendar TEXT writes a line break as ``\n``: a needle right after one still starts there.
_AFTER_ESCAPE = r"(?<=\\[nN])"
_BEFORE_ADDRESS = rf"(?:(?<![A-Za-z0-9._+\-])|{_AFTER_ESCAPE})"
_AFTER_ADDRESS = r"(?![A-Za-z0-9_\-]|\.[A-Za-z0-9])"
_FOLD_OCTETS = 75  # RFC 5545 3.1: content lines are folded at 75 octets


class RedactionError(ValueError):
    """A message still mentions the person after redaction (a part no decoder reaches):
    the caller must erase it whole instead."""


class Matcher:
    """Finds the needles in text, case-insensitively, and says what replaces each."""

    def __init__(self, needles: Needles) -> None:
        pairs = (
            needles.items()
            if isinstance(needles, Mapping)
            else ((n, ERASED_ADDRESS if "@" in n else ERASED) for n in needles)
        )
        self._replacement: dict[str, str] = {}
        patterns: list[str] = []
        for needle, replacement in pairs:
            needle = " ".join(needle.split())
            if not needle:
                continue
            # As written, as iCalendar TEXT escapes it (``Kolab\, Thomas``), and as a URL
            # carries it (``anna%40example.org``, ``Hans+M%C3%BCller``).
            escaped = re.sub(r"([\\,;])", r"\\\1", needle)
            forms = {
                needle: replacement,
                escaped: replacement,
                quote(needle, safe=""): quote(replacement, safe=""),
                quote_plus(needle, safe=""): quote_plus(replacement, safe=""),
            }
            for form, replaced in forms.items():
                if _normal(form) in self._replacement:
                    continue
                self._replacement[_normal(form)] = replaced
                patterns.append(_pattern(form))
        patterns.sort(key=len, reverse=True)  # the longest form wins where two overlap
        self._regex = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def search(self, text: str) -> bool:
        """Return whether ``text`` mentions any needle."""
        return self._regex is not None and self._regex.search(text) is not None

    def sub(self, text: str, *, header: bool = False) -> str:
        """Return ``text`` with every needle replaced (in a header value when ``header``)."""
        if self._regex is None:
            return text

        def replaced(match: re.Match[str]) -> str:
            replacement = self._replacement.get(_normal(match[0]), ERASED)
            return ERASED_IN_HEADERS if header and replacement == ERASED else replacement

        return self._regex.sub(replaced, text)

    def byte_patterns(self) -> Iterator[re.Pattern[bytes]]:
        """Yield each needle as bytes in UTF-8 and in UTF-16-LE (what binary files hold)."""
        for needle in self._replacement:
            edges = (b"", b"")
            if "@" in needle:
                edges = (_BEFORE_ADDRESS.encode(), _AFTER_ADDRESS.encode())
            yield re.compile(edges[0] + re.escape(needle.encode()) + edges[1], re.IGNORECASE)
            units = [
                b"(?:"
                + b"|".join(re.escape(c.encode("utf-16-le")) for c in {ch.lower(), ch.upper()})
                + b")"
                for ch in needle
            ]
            yield re.compile(b"".join(units))


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def _pattern(form: str) -> str:
    """A needle as a regular expression: any run of white space (a fold) between words,
    and not inside a longer word or address."""
    body = r"\s+".join(re.escape(word) for word in form.split())
    if "@" in form or "%40" in form.lower():
        return f"{_BEFORE_ADDRESS}{body}{_AFTER_ADDRESS}"
    before = rf"(?:(?<!\w)|{_AFTER_ESCAPE})" if re.match(r"\w", form) else ""
    after = r"(?!\w)" if re.search(r"\w$", form) else ""
    return f"{before}{body}{after}"


def identifying(needles: Needles) -> list[str]:
    """Return the needles that single a person out: the addresses among them, or all when
    there is none. A name alone (``Anna``) also names others: a scan of every kept file
    picks the files that mention an address, and redacts the name only in those."""
    keys = list(needles.keys()) if isinstance(needles, Mapping) else list(needles)
    addresses = [n for n in keys if "@" in n]
    return addresses or keys


# -- messages --------------------------------------------------------------------------------


def mentions(raw: bytes, needles: Needles) -> bool:
    """Return whether ``raw`` (a message, a bare calendar, any file) mentions a needle, in
    its raw bytes or in any decoded header or part."""
    return _mentions(raw, Matcher(needles))


def _mentions(raw: bytes, matcher: Matcher) -> bool:
    if not matcher:
        return False
    if matcher.search(raw.decode("utf-8", "surrogateescape")):
        return True
    return _Walk(matcher, apply=False).run(raw)[1]


def redact_message(raw: bytes, needles: Needles) -> bytes | None:
    """Return ``raw`` with every mention of a needle replaced, or None when there is none.

    Raise RedactionError when a mention survives (then the message must be erased whole).
    """
    matcher = Matcher(needles)
    if not _mentions(raw, matcher):
        return None
    redacted, _ = _Walk(matcher, apply=True).run(raw)
    if _mentions(redacted, matcher):
        # Somewhere no part decoder reached (a malformed part, a preamble): the raw bytes,
        # same length so no offset in a binary file moves.
        redacted = _overwrite(redacted, matcher)
    if _mentions(redacted, matcher):
        msg = "a mention of the person survives redaction: erase the message instead"
        raise RedactionError(msg)
    return redacted


class _Walk:
    """One pass over a message: finds the needles and, when ``apply``, replaces them."""

    def __init__(self, matcher: Matcher, *, apply: bool) -> None:
        self.matcher = matcher
        self.apply = apply
        self.found = False

    def run(self, raw: bytes) -> tuple[bytes, bool]:
        if raw.startswith(_TNEF):
            return self._binary(raw), self.found
        if _is_bare_calendar(raw):
            text, codec = _decode(raw, None)
            return _encode(self._calendar(text), codec), self.found
        message = BytesParser(policy=policy.compat32).parsebytes(raw)
        for part in message.walk():
            self._headers(part)
            if not part.is_multipart():
                self._body(part)
            elif self.apply:
                for edge in ("preamble", "epilogue"):
                    text = getattr(part, edge)
                    if isinstance(text, str) and self.matcher.search(text):
                        self.found = True
                        setattr(part, edge, self.matcher.sub(text))
        if not self.apply or not self.found:
            return raw, self.found
        eol = "\r\n" if b"\r\n" in raw else "\n"
        out = io.BytesIO()
        generator = BytesGenerator(
            out,
            mangle_from_=False,
            policy=policy.compat32.clone(linesep=eol, max_line_length=0),
        )
        generator.flatten(message, linesep=eol)
        return out.getvalue(), True

    # -- headers

    def _headers(self, part: Message) -> None:
        items = part.items()
        changed = []
        for name, value in items:
            new = self._header(name, str(value)) if isinstance(value, (str, Header)) else None
            changed.append((name, new if new is not None else value))
        if self.apply and any(
            new is not old for (_, new), (_, old) in zip(changed, items, strict=True)
        ):
            for name in dict.fromkeys(name for name, _ in items):
                del part[name]
            for name, value in changed:
                part[name] = value

    def _header(self, name: str, value: str) -> str | None:
        text, codec = _header_text(value)
        if not self.matcher.search(text):
            return None
        self.found = True
        if "=?" not in value:
            # Plain or raw 8-bit: replaced in place, folding kept.
            decoded = _from_surrogates(value, codec)
            return _to_surrogates(self.matcher.sub(decoded, header=True), codec)
        return _encoded_header(name, self.matcher.sub(text, header=True))

    # -- bodies

    def _body(self, part: Message) -> None:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return
        kind = part.get_content_type()
        if kind in _CALENDAR_TYPES or _is_bare_calendar(payload):
            text, codec = _decode(payload, part.get_content_charset())
            new = _encode(self._calendar(text), codec)
        elif part.get_content_maintype() == "text" or kind == "message/rfc822":
            text, codec = _decode(payload, part.get_content_charset())
            if not self.matcher.search(text):
                return
            self.found = True
            new = _encode(self.matcher.sub(text), codec)
        else:
            new = self._binary(payload)
        if self.apply and new != payload:
            _set_payload(part, new)

    def _calendar(self, text: str) -> str:
        """Replace the needles in calendar text line by unfolded line; lines without one
        stay exactly as they were, lines with one are folded again."""
        pieces = re.split(r"(\r\n|\n|\r)", text)
        lines = list(zip(pieces[0::2], [*pieces[1::2], ""], strict=True))
        out: list[str] = []
        i = 0
        while i < len(lines):
            j = i + 1
            while j < len(lines) and lines[j][0][:1] in (" ", "\t"):
                j += 1
            group = lines[i:j]
            unfolded = group[0][0] + "".join(line[1:] for line, _ in group[1:])
            if self.matcher.search(unfolded):
                self.found = True
                eol = group[0][1] or "\r\n"
                out.append(eol.join(_fold(self.matcher.sub(unfolded))) + group[-1][1])
            else:
                out.append("".join(line + end for line, end in group))
            i = j
        return "".join(out)

    def _binary(self, data: bytes) -> bytes:
        new = _overwrite(data, self.matcher)
        if new != data:
            self.found = True
        return new


def _overwrite(data: bytes, matcher: Matcher) -> bytes:
    """Blank every needle in ``data`` with as many bytes (a binary file keeps its offsets)."""
    for pattern in matcher.byte_patterns():
        data = pattern.sub(lambda m: b"*" * len(m[0]), data)
    return data


def _set_payload(part: Message, data: bytes) -> None:
    """Put ``data`` back in ``part`` encoded with the part's own transfer encoding."""
    encoding = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    raw = part.get_payload()
    eol = "\r\n" if isinstance(raw, str) and "\r\n" in raw else "\n"
    if encoding == "base64":
        text = base64.encodebytes(data).decode("ascii").replace("\n", eol)
    elif encoding == "quoted-printable":
        text = body_encode(data.decode("latin-1"), maxlinelen=76, eol=eol)
    elif encoding in ("7bit", "8bit", "binary", ""):
        text = data.decode("ascii", "surrogateescape")
    else:  # x-uuencode and the like: base64 is what any reader decodes
        part.replace_header("Content-Transfer-Encoding", "base64")
        text = base64.encodebytes(data).decode("ascii").replace("\n", eol)
    part.set_payload(text)


def _fold(line: str) -> list[str]:
    """Fold one content line at 75 octets, never inside a UTF-8 sequence."""
    folded: list[str] = []
    current, size, limit = "", 0, _FOLD_OCTETS
    for char in line:
        width = len(char.encode("utf-8", "surrogatepass"))
        if size + width > limit:
            folded.append(current)
            current, size, limit = " ", 1, _FOLD_OCTETS
        current += char
        size += width
    folded.append(current)
    return folded


def _is_bare_calendar(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR"


# -- text and charsets ------------------------------------------------------------------------


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        info = codecs.lookup(charset.strip().strip('"'))
    except (LookupError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode(data: bytes, charset: str | None) -> tuple[str, str]:
    """Return ``data`` as text and the codec that gives the same bytes back."""
    declared = _codec(charset)
    for codec in (declared, "utf-8", "cp1252"):
        if codec is None:
            continue
        try:
            text = data.decode(codec, "surrogateescape")
            if text.encode(codec, "surrogateescape") == data:
                return text, codec
        except (UnicodeError, LookupError):
            continue
    return data.decode("latin-1"), "latin-1"


def _encode(text: str, codec: str) -> bytes:
    try:
        return text.encode(codec, "surrogateescape")
    except UnicodeError:
        return text.encode("utf-8", "surrogateescape")


def _from_surrogates(value: str, codec: str) -> str:
    if codec == "ascii":
        return value
    return value.encode("ascii", "surrogateescape").decode(codec, "surrogateescape")


def _to_surrogates(text: str, codec: str) -> str:
    if codec == "ascii":
        return text
    return _encode(text, codec).decode("ascii", "surrogateescape")


def _header_text(value: str) -> tuple[str, str]:
    """Return a header value as a reader sees it (encoded words decoded, unfolded), and the
    codec of its raw 8-bit bytes (``ascii`` when it has none)."""
    codec = "ascii"
    if any("\udc80" <= c <= "\udcff" for c in value):
        value, codec = _decode(value.encode("ascii", "surrogateescape"), None)
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", value)
    if "=?" not in unfolded:
        return unfolded, codec
    try:
        return str(make_header(decode_header(unfolded))), codec
    except Exception:  # a malformed encoded word or an unknown charset: read as written
        return unfolded, codec


def _encoded_header(name: str, text: str) -> str:
    """Return ``text`` as a header value, with encoded words where it is not ASCII."""
    if text.isascii():
        return text
    smtp = policy.SMTP.clone(max_line_length=78)
    try:
        folded = smtp.header_factory(name, text).fold(policy=smtp)
        return str(folded).split(":", 1)[1].strip()
    except Exception:  # an address header the registry cannot parse: plain encoded words
        return Header(text, "utf-8", header_name=name).encode()


# -- recipient lists --------------------------------------------------------------------------


def redact_csv(raw: bytes, needles: Needles) -> bytes | None:
    """Return an uploaded recipient list without every row that mentions a needle, the
    other rows (and the header) byte for byte; None when no row does."""
    matcher = Matcher(needles)
    if not matcher:
        return None
    text, codec = _decode(raw, None)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    records = _records(text[len(bom) :])
    kept = [record for record in records if not _row_mentions(record, matcher.search)]
    if len(kept) == len(records):
        return None
    return _encode(bom + "".join(kept), codec)


def _row_mentions(record: str, search: Callable[[str], bool]) -> bool:
    if search(record):
        return True
    try:
        cells = next(csv.reader([record]), [])
    except csv.Error:
        return False
    return any(search(cell) for cell in cells)


def _records(text: str) -> list[str]:
    """Split CSV text into its records, each with its line end: a line end inside a quoted
    field is part of the field (a cell may hold several lines)."""
    records: list[str] = []
    start, quoted = 0, False
    for mark in re.finditer(r'"|\r\n|\n|\r', text):
        if mark[0] == '"':
            quoted = not quoted
        elif not quoted:
            records.append(text[start : mark.end()])
            start = mark.end()
    if start < len(text):
        records.append(text[start:])
    return records


def redact_text(text: str, needles: Needles) -> str:
    """Return ``text`` (a field, an envelope address) with every needle replaced."""
    return Matcher(needles).sub(text)
