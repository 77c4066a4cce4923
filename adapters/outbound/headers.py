"""Header lines written by hand: user text can only ever be a quoted or encoded phrase."""

from __future__ import annotations

import base64
from email.utils import formataddr

_LONGEST_LINE = 78  # RFC 5322's SHOULD
_WORD_OCTETS = 39  # 52 base64 characters: an encoded word fits a line with any header name


def _encoded_words(text: str) -> list[str]:
    """Return ``text`` as RFC 2047 encoded words, cut between characters."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        octets = len(char.encode("utf-8"))
        if current and size + octets > _WORD_OCTETS:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += octets
    chunks.append("".join(current))
    return [f"=?utf-8?b?{base64.b64encode(c.encode('utf-8')).decode('ascii')}?=" for c in chunks]


def header(field: str, pieces: list[str]) -> bytes:
    """Return one header, its pieces joined by spaces and folded before lines get too long."""
    lines: list[str] = []
    line = f"{field}:"
    for piece in pieces:
        if len(line) + 1 + len(piece) > _LONGEST_LINE and line != f"{field}:":
            lines.append(line)
            line = ""
        line += " " + piece
    lines.append(line)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


# Every header is written here, never by the email package's header registry: on Python 3.11
# it decodes encoded-word look-alikes in user text ("=?utf-8?q?=0D=0ABcc:...?=") into real
# line breaks and writes them out, which is header injection.
def address_line(field: str, name: str | None, address: str) -> bytes:
    """Return the header ``field: name <address>`` for a one-line name and a checked address."""
    if not name:
        return header(field, [address])
    if address.isascii() and "=?" not in name:
        # formataddr quotes specials and encodes a non-ASCII name as one encoded word.
        line = f"{field}: {formataddr((name, address))}"
        if len(line) <= _LONGEST_LINE:
            return line.encode("ascii") + b"\r\n"
    return header(field, [*_encoded_words(name), f"<{address}>"])


def text_line(field: str, text: str) -> bytes:
    """Return an unstructured header (Subject) for one-line text: plain words or encoded words."""
    words = text.split(" ")
    longest = _LONGEST_LINE - len(field) - 2  # a word that fits a line of its own when folded
    if text.isascii() and "=?" not in text and max(len(w) for w in words) <= longest:
        return header(field, words)
    return header(field, _encoded_words(text))


def list_unsubscribe_lines(url: str | None, mailto: str) -> bytes:
    """Return ``List-Unsubscribe`` (the HTTPS URL first, then the ``mailto:``) and, with a
    URL, ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058 asks for an HTTPS URI
    for one-click). Both values are the server's own: a checked base URL, a base32 token and
    a checked address."""
    links = ([f"<{url}>,"] if url else []) + [f"<mailto:{mailto}>"]
    lines = header("List-Unsubscribe", links)
    if url:
        lines += b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    return lines
