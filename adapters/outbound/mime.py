"""The MIME message of one version, encoded once and completed per recipient from ready bytes.

Layout (docs/architecture.md, Outbound mail): multipart/mixed → [multipart/alternative →
[text/plain, text/html, text/calendar; method=…], application/ics invite.ics]. Every body part
is quoted-printable or base64, so boundaries with "=_" cannot occur in them, and the message is
7-bit unless an address itself is not ASCII (which needs SMTPUTF8 anyway).
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime

from adapters.outbound.fillable import FillableText
from adapters.outbound.headers import address_line, header, text_line


def encoded_calendar(calendar: bytes) -> bytes:
    """Return ``calendar`` in base64 lines of 76 characters with CRLF, as the email package does."""
    encoded = binascii.b2a_base64(calendar, newline=False)
    return b"\r\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"


class Layout:
    """The bytes every recipient's copy of one version shares, and where theirs go.

    ``bodies`` are the text and HTML parts; holes in them take each copy's own values.
    """

    def __init__(
        self,
        *,
        sender: str,
        subject: str,
        date: datetime,
        method: str,
        bodies: tuple[FillableText, FillableText],
        boundary: str,
    ) -> None:
        mixed, alternative = f"=_mixed_{boundary}", f"=_alternative_{boundary}"
        self._from = address_line("From", None, sender)
        self._subject_date = text_line("Subject", subject) + header("Date", [format_datetime(date)])
        self._text, self._html = bodies
        self._opening = b"".join(
            (
                b"MIME-Version: 1.0\r\n",
                f'Content-Type: multipart/mixed;\r\n boundary="{mixed}"\r\n\r\n'.encode("ascii"),
                f"--{mixed}\r\n".encode("ascii"),
                f'Content-Type: multipart/alternative;\r\n boundary="{alternative}"\r\n\r\n'.encode(
                    "ascii"
                ),
                f"--{alternative}\r\n".encode("ascii"),
            )
        )
        self._between = f"\r\n--{alternative}\r\n".encode("ascii")
        self._calendar_head = b"".join(
            (
                self._between,
                b'Content-Type: text/calendar; charset="UTF-8"; method=',
                method.encode("ascii") + b"\r\n",
                b"Content-Transfer-Encoding: base64\r\n\r\n",
            )
        )
        personal = self._text.personal or self._html.personal
        self._head = None if personal else self._bodies({})
        self._middle = b"".join(
            (
                f"\r\n--{alternative}--\r\n\r\n--{mixed}\r\n".encode("ascii"),
                b'Content-Type: application/ics; name="invite.ics"\r\n',
                b'Content-Disposition: attachment; filename="invite.ics"\r\n',
                b"Content-Transfer-Encoding: base64\r\n\r\n",
            )
        )
        self._tail = f"\r\n--{mixed}--\r\n".encode("ascii")

    def _bodies(self, values: Mapping[str, str]) -> bytes:
        return b"".join(
            (
                self._opening,
                self._text.fill(values),
                self._between,
                self._html.fill(values),
                self._calendar_head,
            )
        )

    def message(
        self,
        *,
        to: bytes,
        reply_to: bytes,
        message_id: str,
        calendar: bytes,
        values: Mapping[str, str] | None = None,
    ) -> bytes:
        """Return one recipient's message: their header lines, their calendar in both parts,
        and their ``values`` in the bodies' holes."""
        encoded = encoded_calendar(calendar)
        head = self._head if self._head is not None else self._bodies(values or {})
        return b"".join(
            (
                self._from,
                to,
                reply_to,
                self._subject_date,
                f"Message-ID: {message_id}\r\n".encode("ascii"),
                head,
                encoded,
                self._middle,
                encoded,
                self._tail,
            )
        )
