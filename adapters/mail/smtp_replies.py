"""What SMTP replies and failures mean: temporary or permanent, and the server's queue id."""

from __future__ import annotations

import re
import smtplib
import ssl

from application.ports import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError

QUEUE_ID = re.compile(rb"queued as ([^\s;]+)|\bid=([^\s;]+)", re.IGNORECASE)


def queue_id(reply: bytes) -> str:
    """Return the queue id in a final DATA reply (Postfix, Exim style), else the whole reply."""
    found = QUEUE_ID.search(reply)
    return text(next(g for g in found.groups() if g) if found else reply)


def delivery_error(error: smtplib.SMTPException | OSError, where: str) -> DeliveryError:
    """Classify an smtplib/socket failure as temporary or permanent, with the server's words."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        recipient, (code, reply) = next(iter(error.recipients.items()))
        return by_code(code, f"{where} refused {recipient}: {code} {text(reply)}")
    if isinstance(error, smtplib.SMTPResponseException):
        return by_code(error.smtp_code, f"{where}: {error.smtp_code} {text(error.smtp_error)}")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TemporaryDeliveryError(f"{where}: connection closed: {error}")
    if isinstance(error, ssl.SSLCertVerificationError):
        # Retrying repeats the same handshake: trust must be fixed by a person, and an
        # untrusted server may be an interceptor, so the message is never sent to it.
        return PermanentDeliveryError(f"{where}: certificate not trusted: {error.verify_message}")
    if isinstance(error, smtplib.SMTPException):
        # Missing STARTTLS, AUTH or SMTPUTF8: the server will answer the same way next time.
        return PermanentDeliveryError(f"{where}: {error}")
    return TemporaryDeliveryError(f"{where}: {error.strerror or error}")


def by_code(code: int, reason: str) -> DeliveryError:
    """Return a temporary error for 4xx replies (and odd ones), a permanent one for 5xx."""
    if 500 <= code < 600:
        return PermanentDeliveryError(reason)
    return TemporaryDeliveryError(reason)


def text(reply: bytes | str) -> str:
    """Return a server reply as one line of text."""
    decoded = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(decoded.split())
