"""``cis submit``: mail files to a running server's SMTP drop box, as a mail client would."""

from __future__ import annotations

import contextlib
import smtplib
import sys
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import Annotated

import typer

from entrypoints import session
from entrypoints.lines import emit
from entrypoints.settings import Settings

# Where `cis serve` listens unless told otherwise (its --host and --smtp-port defaults).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2525


def submit(
    files: Annotated[list[str], typer.Argument(help="Email files (.eml); - for stdin.")],
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Envelope recipient: a drop-box mailbox (default: create@CIS_MAIL_DOMAIN).",
        ),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Envelope sender (default: the address in the file's From header).",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="The drop box's address.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="The drop box's SMTP port.")] = DEFAULT_PORT,
) -> None:
    """Send each file to the SMTP drop box of a running `cis serve`; print what it answered.

    Line ends are made CRLF first, as SMTP wants them (files saved by Unix tools end their
    lines in LF alone). The drop box treats the message as mail from the network: the sender
    policy applies, with this machine as the connecting client. Prints one JSON object per
    line and file: `source`, `to`, `code` and `reply` (the server's answer to the message).
    Exit status 0 when every file was accepted (2xx), 1 when any was refused, 2 when a file
    cannot be read or the drop box cannot be reached.
    """
    recipient = to or (session.settings() or Settings()).create_address
    refused = unreadable = 0
    try:
        with smtplib.SMTP(host, port, timeout=60) as smtp:
            for source in files:
                try:
                    raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
                except OSError as exc:
                    print(f"cis: cannot read {source}: {exc.strerror or exc}", file=sys.stderr)
                    unreadable += 1
                    continue
                code, reply = _send(smtp, raw, sender, recipient)
                refused += not 200 <= code < 300
                emit({"source": source, "to": recipient, "code": code, "reply": reply})
    except (OSError, smtplib.SMTPException) as exc:
        print(
            f"cis: the drop box at {host}:{port} cannot be reached ({exc}); is `cis serve` "
            "running there (see its `smtp`)?",
            file=sys.stderr,
            flush=True,
        )
        raise typer.Exit(2) from None
    if unreadable:
        raise typer.Exit(2)
    if refused:
        raise typer.Exit(1)


def wire_form(raw: bytes) -> bytes:
    """Return ``raw`` with every line ending in CRLF, the last one included."""
    lines = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return lines if lines.endswith(b"\r\n") else lines + b"\r\n"


def header_sender(raw: bytes) -> str:
    """Return the first address of the message's From header, or "" (the null sender)."""
    headers = BytesHeaderParser().parsebytes(raw)
    found = [address for _, address in getaddresses(headers.get_all("From", [])) if address]
    return found[0] if found else ""


def _send(smtp: smtplib.SMTP, raw: bytes, sender: str | None, to: str) -> tuple[int, str]:
    """Send one message in its own transaction; return the reply that decided it."""
    wire = wire_form(raw)
    smtp.ehlo_or_helo_if_needed()
    # Declared, an oversized message is refused before it is sent (RFC 1870).
    options = [f"SIZE={len(wire)}"] if smtp.has_extn("size") else []
    code, text = smtp.mail(header_sender(raw) if sender is None else sender, options)
    if 200 <= code < 300:
        code, text = smtp.rcpt(to)
    if not 200 <= code < 300:
        _reset(smtp)
        return code, _text(text)
    try:
        code, text = smtp.data(wire)
    except smtplib.SMTPDataError as refused:  # DATA itself refused
        _reset(smtp)
        return refused.smtp_code, _text(refused.smtp_error)
    return code, _text(text)


def _reset(smtp: smtplib.SMTP) -> None:
    """End a refused transaction; a server that hung up (421) is found out by the next file."""
    with contextlib.suppress(smtplib.SMTPException):
        smtp.rset()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
