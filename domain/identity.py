"""Deterministic identities derived from natural keys (docs/architecture.md, Identity)."""

from __future__ import annotations

from uuid import UUID, uuid5

# Fixed forever: every stored id is derived from it, so changing it orphans all data.
NAMESPACE = UUID("5c1e8a0e-9b7d-4f57-a3c1-0d6f2b9e4a11")


def normalize_address(value: str) -> str:
    """Return the canonical form of a calendar address: no ``mailto:``, no brackets, lower case."""
    address = value.strip().strip("<>").strip()
    if address[:7].lower() == "mailto:":
        address = address[7:]
    return address.strip().strip("<>").strip().lower()


def invite_id(organizer: str, uid: str) -> UUID:
    """Return the invite id for an organizer's UID; two organizers never collide."""
    return uuid5(NAMESPACE, normalize_address(organizer) + "\n" + uid)


def attendance_id(invite: UUID, attendee: str) -> UUID:
    """Return the id of one attendee's RSVP stream for one invite."""
    return uuid5(NAMESPACE, "attendance\n" + invite.hex + "\n" + normalize_address(attendee))


def organizer_id(address: str) -> UUID:
    """Return the id of an organizer's registry record."""
    return uuid5(NAMESPACE, "organizer\n" + normalize_address(address))


def uid_index_id(uid: str) -> UUID:
    """Return the id of the index that maps an organizer's UID to invite ids."""
    return uuid5(NAMESPACE, "uid\n" + uid)


def received_message_id(digest: str) -> UUID:
    """Return the id of the receipt for a raw message, keyed by its content hash."""
    return uuid5(NAMESPACE, "message\n" + digest)
