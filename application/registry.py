"""The organizer registry's lookups: who is registered, and registering someone new."""

from __future__ import annotations

from datetime import datetime

from application.stores import Loader
from domain.blocks import RecipientBlock, block_id
from domain.identity import normalize_address, organizer_id
from domain.organizer import Organizer


def find_organizer(load: Loader, address: str) -> Organizer | None:
    """Return the registry record of ``address``, if it has one."""
    return load(Organizer, organizer_id(normalize_address(address)))


def register(address: str, now: datetime) -> Organizer:
    """Return a new registry record for ``address`` (allowed, unlimited)."""
    return Organizer(address=normalize_address(address), timestamp=now)


def set_block(
    load: Loader, organizer: str, recipient: str, blocked: bool, now: datetime
) -> RecipientBlock:
    """Record that ``recipient`` blocks (or no longer blocks) ``organizer``'s invitations."""
    record = load(RecipientBlock, block_id(organizer, recipient))
    if record is None:
        record = RecipientBlock(
            organizer=normalize_address(organizer),
            recipient=normalize_address(recipient),
            timestamp=now,
        )
    elif blocked and not record.active:
        record.block(timestamp=now)
    if not blocked and record.active:
        record.unblock(timestamp=now)
    return record
