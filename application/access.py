"""Who may read or act on an invite: an API key's principal, passed in by the caller.

What a principal may not read does not exist for it (``NotVisibleError``, a 404); what it may
read but not act on is refused (``NotAllowedError``, a 403).
"""

from __future__ import annotations

from typing import Any

from domain.api_keys import Principal, Scope


class NotVisibleError(LookupError):
    """The invite does not exist, or the principal may not know that it does."""

    def __init__(self, message: str = "not found") -> None:
        super().__init__(message)


class NotAllowedError(PermissionError):
    """The principal may see the invite but not act on it."""


def sees_addresses(principal: Principal, organizer: str) -> bool:
    """Return whether ``principal`` sees attendees' addresses of ``organizer``'s invites."""
    return principal.kind == Scope.ADMIN or (
        principal.kind == Scope.ORGANIZER and principal.may_read_organizer(organizer)
    )


def may_write(principal: Principal, organizer: str) -> bool:
    """Return whether ``principal`` may act on ``organizer``'s invites (send, cancel…)."""
    return sees_addresses(principal, organizer)


def check_readable(principal: Principal, organizer: str) -> None:
    """Raise ``NotVisibleError`` unless ``principal`` may read ``organizer``'s invites."""
    if not principal.may_read_organizer(organizer):
        raise NotVisibleError


def check_writable(principal: Principal, organizer: str) -> None:
    """Raise unless ``principal`` may act on ``organizer``'s invites."""
    check_readable(principal, organizer)
    if not may_write(principal, organizer):
        raise NotAllowedError("only the invite's organizer or an admin may do this")


def mask_address(address: str) -> str:
    """Return ``a***@example.org`` for ``ann@example.org``."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def masked(row: dict[str, Any]) -> dict[str, Any]:
    """Return an attendee row with nothing that names the person (for those who may read an
    invite but not see its attendees' addresses: ``sees_addresses``)."""
    forwarded = row.get("forwarded_by")
    return {
        **row,
        "address": mask_address(row["address"]),
        "name": None,
        "forwarded_by": mask_address(forwarded) if forwarded else None,
        "history": [],  # its entries may quote bounce messages naming the address
    }


def shown_attendees(
    principal: Principal, organizer: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Return attendee rows as ``principal`` may see them: masked unless it sees addresses."""
    return rows if sees_addresses(principal, organizer) else [masked(row) for row in rows]
