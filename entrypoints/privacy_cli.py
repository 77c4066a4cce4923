"""``cis erase`` and ``cis export``: a recipient's right to be forgotten, and of access."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from entrypoints import session
from entrypoints.arguments import address_argument
from entrypoints.lines import emit


def erase(address: str) -> None:
    """Erase a recipient: their address, names and comments become unreadable in every event
    and snapshot (their key is deleted), their rows in the views move to an anonymous
    placeholder (counts stay), the mail they sent is deleted and others' mail naming them is
    redacted, and they are never mailed again. Prints what was done; running it again is safe.
    """
    erasure = session.doors().privacy.erase(address_argument(address), now=datetime.now(UTC))
    emit(erasure.as_dict())


def export(address: str) -> None:
    """Print everything recorded about a recipient, as one JSON document (an access request)."""
    found = session.doors().privacy.export(address_argument(address))
    typer.echo(json.dumps(found, indent=2, ensure_ascii=False))
