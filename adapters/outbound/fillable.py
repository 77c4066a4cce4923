"""A text body part encoded once per version, with a few lines left to fill per recipient.

Quoted-printable encodes every line on its own, so a body cut at line ends encodes to the
same bytes piece by piece as whole: the lines that hold a recipient's values (their web RSVP
links) are encoded per copy, everything else once. The bytes are those the email package
writes for the finished text (``set_content(..., cte="quoted-printable")``, policy SMTP).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from email import quoprimime
from email.message import MIMEPart
from email.policy import SMTP

_BLANK_LINE = b"\r\n\r\n"
_LINE_LENGTH = SMTP.max_line_length or 78  # 78 (RFC 5322); typed as optional


def text_part(text: str, subtype: str) -> bytes:
    """Return ``text`` as a whole UTF-8 quoted-printable MIME part (headers and body)."""
    part = MIMEPart(policy=SMTP)
    part.set_content(text, subtype=subtype, charset="utf-8", cte="quoted-printable")
    return part.as_bytes(policy=SMTP)


def _encoded(lines: Sequence[bytes]) -> bytes:
    # As the email package does: UTF-8 lines, read as Latin-1, encoded at SMTP's line length.
    text = (b"\n".join(lines) + b"\n").decode("latin-1")
    return quoprimime.body_encode(text, _LINE_LENGTH, eol="\r\n").encode("ascii")


def encoded_line(line: str) -> bytes:
    """Return one line (no line break in it) as ``_encoded`` does, faster for printable ASCII.

    A line of links is printable ASCII, where the quoting is just "=" → "=3D"; the email
    package's per-character translation table was most of a copy's cost. The folding below
    is body_encode's own (CPython Lib/email/quoprimime.py), for one line.
    """
    if not (line.isascii() and line.isprintable()):
        return _encoded([line.encode("utf-8")])
    quoted = line.replace("=", "=3D")
    pieces = []
    start, laststart, width = 0, len(quoted) - 1 - _LINE_LENGTH, _LINE_LENGTH - 1
    while start <= laststart:
        stop = start + width
        # Never cut an escape sequence.
        if quoted[stop - 2] == "=":
            pieces.append(quoted[start : stop - 1])
            start = stop - 2
        elif quoted[stop - 1] == "=":
            pieces.append(quoted[start:stop])
            start = stop - 1
        else:
            pieces.append(quoted[start:stop] + "=")
            start = stop
    if quoted.endswith(" "):  # a space that ends a line must be quoted (tabs are not printable)
        room = start - laststart
        if room >= 3:
            ending = "=20"
        elif room == 2:
            ending = " =\r\n"
        else:
            ending = "=\r\n=20"
        pieces.append(quoted[start:-1] + ending)
    else:
        pieces.append(quoted[start:])
    return ("\r\n".join(pieces) + "\r\n").encode("ascii")


class FillableText:
    """One text part of a version: bytes shared by every copy, and lines holding ``holes``.

    ``escape`` makes a value safe where it goes (HTML escaping for the HTML part). A part
    with no hole in it is the same bytes for everyone.
    """

    def __init__(
        self,
        text: str,
        subtype: str,
        holes: Sequence[str] = (),
        *,
        escape: Callable[[str], str] = str,
    ) -> None:
        self._escape = escape
        lines = text.encode("utf-8").splitlines()
        marks = [hole.encode("utf-8") for hole in holes]
        if not any(mark in line for line in lines for mark in marks):
            self._whole: bytes | None = text_part(text, subtype)
            return
        self._whole = None
        # The headers do not depend on the text: take them from the email package itself.
        head, _, _ = text_part("", subtype).partition(_BLANK_LINE)
        self._head = head + _BLANK_LINE
        # Encoded bytes shared by every copy, or a line and the holes in it.
        self._pieces: list[bytes | tuple[str, tuple[str, ...]]] = []
        shared: list[bytes] = []
        for line in lines:
            inside = tuple(h for h, mark in zip(holes, marks, strict=True) if mark in line)
            if inside:
                if shared:
                    self._pieces.append(_encoded(shared))
                    shared = []
                self._pieces.append((line.decode("utf-8"), inside))
            else:
                shared.append(line)
        if shared:
            self._pieces.append(_encoded(shared))

    @property
    def personal(self) -> bool:
        """Return whether copies differ (a hole is in the text)."""
        return self._whole is None

    def fill(self, values: Mapping[str, str]) -> bytes:
        """Return the part with each hole replaced by its value (one non-empty line), escaped."""
        if self._whole is not None:
            return self._whole
        # A line break would cut the text elsewhere than the pieces were cut.
        if any(not v or "\n" in v or "\r" in v for v in values.values()):
            raise ValueError("a value filled into a mail body must be one non-empty line")
        safe = {hole: self._escape(value) for hole, value in values.items()}
        out = [self._head]
        for piece in self._pieces:
            if isinstance(piece, bytes):
                out.append(piece)
                continue
            line, inside = piece
            for hole in inside:
                if hole not in safe:
                    raise ValueError(f"no value for {hole!r} in this copy")
                line = line.replace(hole, safe[hole])
            out.append(encoded_line(line))
        return b"".join(out)
