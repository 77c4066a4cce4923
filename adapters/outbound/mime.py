"""The MIME message of one version, encoded once and completed per recipient from ready bytes.

Layout (DESIGN.md, Outbound mail): multipart/mixed → [multipart/alternative → [text/plain,
text/html, text/calendar; method=…], application/ics invite.ics]. Every body part is quoted-
printable or base64, so boundaries with "=_" cannot occur in them, and the message is 7-bit
unless an address itself is not ASCII (which needs SMTPUTF8 anyway).
"""

from __future__ import annotations

import binascii
from datetime import datetime
from email.message import MIMEPart
from email.policy import SMTP
from email.utils import format_datetime

from adapters.outbound.headers import address_line, header, text_line


def _text_part(text: str, subtype: str) -> bytes:
    part = MIMEPart(policy=SMTP)
    part.set_content(text, subtype=subtype, charset="utf-8", cte="quoted-printable")
    return part.as_bytes(policy=SMTP)


def encoded_calendar(calendar: bytes) -> bytes:
    """Return ``calendar`` in base64 lines of 76 characters with CRLF, as the email package does."""
    encoded = binascii.b2a_base64(calendar, newline=False)
    return b"\r\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"


class Layout:
    """The bytes every recipient's copy of one version shares, and where theirs go."""

    def __init__(
        self,
        *,
        sender: str,
        subject: str,
        date: datetime,
        method: str,
        bodies: tuple[str, str],
        boundary: str,
    ) -> None:
        mixed, alternative = f"=_mixed_{boundary}", f"=_alternative_{boundary}"
        self._from = address_line("From", None, sender)
        self._subject_date = text_line("Subject", subject) + header("Date", [format_datetime(date)])
        text, html = bodies
        self._head = b"".join(
            (
                b"MIME-Version: 1.0\r\n",
                f'Content-Type: multipart/mixed;\r\n boundary="{mixed}"\r\n\r\n'.encode("ascii"),
                f"--{mixed}\r\n".encode("ascii"),
                f'Content-Type: multipart/alternative;\r\n boundary="{alternative}"\r\n\r\n'.encode(
                    "ascii"
                ),
                f"--{alternative}\r\n".encode("ascii"),
                _text_part(text, "plain"),
                f"\r\n--{alternative}\r\n".encode("ascii"),
                _text_part(html, "html"),
                f"\r\n--{alternative}\r\n".encode("ascii"),
                b'Content-Type: text/calendar; charset="UTF-8"; method=',
                method.encode("ascii") + b"\r\n",
                b"Content-Transfer-Encoding: base64\r\n\r\n",
            )
        )
        self._middle = b"".join(
            (
                f"\r\n--{alternative}--\r\n\r\n--{mixed}\r\n".encode("ascii"),
                b'Content-Type: application/ics; name="invite.ics"\r\n',
                b'Content-Disposition: attachment; filename="invite.ics"\r\n',
                b"Content-Transfer-Encoding: base64\r\n\r\n",
            )
        )
        self._tail = f"\r\n--{mixed}--\r\n".encode("ascii")

    def message(self, *, to: bytes, reply_to: bytes, message_id: str, calendar: bytes) -> bytes:
        """Return one recipient's message: their header lines and their calendar in both parts."""
        encoded = encoded_calendar(calendar)
        return b"".join(
            (
                self._from,
                to,
                reply_to,
                self._subject_date,
                f"Message-ID: {message_id}\r\n".encode("ascii"),
                self._head,
                encoded,
                self._middle,
                encoded,
                self._tail,
            )
        )
