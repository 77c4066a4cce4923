"""Delivery status notifications (RFC 3464): who could not be reached, and why."""

from __future__ import annotations

import email
import email.policy
from email.message import Message

from domain.identity import normalize_address
from domain.messages import Bounce


def read_bounce(raw: bytes) -> Bounce | None:
    """Return the first failed (else delayed) recipient of a DSN, or None if it names none."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    blocks = [
        block
        for part in message.walk()
        if part.get_content_type() == "message/delivery-status"
        for block in _blocks(part)
        if block.get("Action") is not None
    ]
    for wanted in ("failed", "delayed"):
        for block in blocks:
            if str(block.get("Action", "")).strip().lower() == wanted:
                return Bounce(
                    permanent=wanted == "failed",
                    recipient=_address(
                        block.get("Final-Recipient") or block.get("Original-Recipient")
                    ),
                    status=_one_line(block.get("Status")),
                    diagnostic=_one_line(block.get("Diagnostic-Code")),
                )
    return None


def _blocks(part: Message) -> list[Message]:
    # The email package parses the status body into one header block per message/recipient.
    payload = part.get_payload()
    return [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []


def _address(field: object) -> str | None:
    if field is None:
        return None
    _, _, value = str(field).partition(";")
    address = normalize_address(value or str(field))
    return address if "@" in address else None


def _one_line(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:300] or None
