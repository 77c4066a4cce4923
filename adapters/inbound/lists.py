"""Emails to the bulk mailbox: who sent which recipient list (a CSV attachment)."""

from __future__ import annotations

import email
import email.policy

from adapters.inbound import reasons
from adapters.inbound.mime import (
    MOST_HEADER_BYTES,
    header_section_too_large,
    is_automatic,
    read_from_addresses,
    read_sender,
    read_subject,
)
from domain.messages import ListRequest, Unusable

_CSV_TYPES = frozenset({"text/csv", "application/csv", "text/comma-separated-values"})
# A recipient list larger than this is an upload for the API, not an email attachment.
_MAX_BYTES = 20 * 1024 * 1024


def read_list_request(raw: bytes) -> ListRequest | Unusable:
    """Return the sender, subject and first CSV attachment of ``raw``, or why there is none."""
    if header_section_too_large(raw):
        return reasons.headers_too_large(MOST_HEADER_BYTES)
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in message.walk():
        filename = (part.get_filename() or "").strip().lower()
        if part.is_multipart() or not (
            part.get_content_type() in _CSV_TYPES or filename.endswith(".csv")
        ):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if len(data) > _MAX_BYTES:
            return Unusable("too-large", "the recipient list is larger than 20 MB; split it")
        return ListRequest(
            sender=read_sender(message),
            subject=read_subject(message),
            attachment=data,
            automatic=is_automatic(message),
            from_addresses=read_from_addresses(message),
        )
    return Unusable(
        "no-list",
        "the message to the bulk mailbox has no CSV attachment; attach a .csv file with an "
        "email column (and optionally name) and put the invite's id or UID in the subject",
        sender=read_sender(message),
        automatic=is_automatic(message),
        from_addresses=read_from_addresses(message),
    )
