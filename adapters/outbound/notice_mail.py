"""The bytes of a notice email: headers written by hand, a text body, an optional attachment."""

from __future__ import annotations

from datetime import datetime
from email.message import MIMEPart
from email.policy import SMTP
from email.utils import format_datetime
from urllib.parse import quote

from adapters.outbound.headers import address_line, header, text_line
from adapters.outbound.mime import encoded_calendar
from adapters.outbound.text import one_line

_PARAMETER_CHUNK = 60  # percent-encoded characters per filename parameter line


def plain(text: str | None) -> str:
    """Return ``text`` with only characters UTF-8 can write (no lone surrogates)."""
    # Undecodable bytes of a parsed message come back as lone surrogates.
    return (text or "").encode("utf-8", "replace").decode("utf-8")


def attachment_name(filename: str) -> str:
    """Return the last path component of ``filename`` on one line (a default if nothing is left)."""
    name = (one_line(plain(filename)) or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name.lstrip(".")[:100] or "attachment"


def _text_part(text: str) -> bytes:
    part = MIMEPart(policy=SMTP)
    part.set_content(plain(text), subtype="plain", charset="utf-8", cte="quoted-printable")
    return part.as_bytes(policy=SMTP)


def _filename_parameters(filename: str) -> str:
    # RFC 2231 percent-encodes the name, so no quote or line break in it can end the header;
    # a long name continues over numbered parameters instead of making a long line.
    chunks, chunk = [], "utf-8''"
    for char in filename:
        encoded = quote(char, safe="")
        if len(chunk) + len(encoded) > _PARAMETER_CHUNK:
            chunks.append(chunk)
            chunk = ""
        chunk += encoded
    chunks.append(chunk)
    if len(chunks) == 1:
        return f"filename*={chunk}"
    return ";\r\n ".join(f"filename*{i}*={c}" for i, c in enumerate(chunks))


def _attachment_part(filename: str, data: bytes) -> bytes:
    name = attachment_name(filename)
    csv = name.lower().endswith(".csv")
    kind = 'text/csv; charset="utf-8"' if csv else "application/octet-stream"
    return b"".join(
        (
            f"Content-Type: {kind}\r\n".encode("ascii"),
            f"Content-Disposition: attachment;\r\n {_filename_parameters(name)}\r\n".encode(),
            b"Content-Transfer-Encoding: base64\r\n\r\n",
            encoded_calendar(data),
        )
    )


def notice_message(
    *,
    sender: str,
    to: str,
    subject: str,
    date: datetime,
    message_id: str,
    body: str,
    attachment: tuple[str, bytes] | None,
) -> bytes:
    """Return the RFC 5322 bytes of a notice; addresses and the Message-ID are already checked."""
    head = b"".join(
        (
            address_line("From", None, sender),
            address_line("To", None, to),
            text_line("Subject", subject),
            header("Date", [format_datetime(date)]),
            f"Message-ID: {message_id}\r\n".encode("ascii"),
            # RFC 3834: auto-responders stay silent, so a notice never starts a mail loop;
            # Exchange ignores that header and reads its own.
            b"Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n",
            b"MIME-Version: 1.0\r\n",
        )
    )
    if attachment is None:
        return head + _text_part(body)
    # Quoted-printable and base64 never contain "=_", so no body line can match the boundary.
    mixed = "=_notice_" + "".join(c for c in message_id if c.isalnum())[:32]
    return b"".join(
        (
            head,
            f'Content-Type: multipart/mixed;\r\n boundary="{mixed}"\r\n\r\n'.encode("ascii"),
            f"--{mixed}\r\n".encode("ascii"),
            _text_part(body),
            f"\r\n--{mixed}\r\n".encode("ascii"),
            _attachment_part(*attachment),
            f"\r\n--{mixed}--\r\n".encode("ascii"),
        )
    )
