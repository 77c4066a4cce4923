"""Errors a caller of the application can act on."""

from __future__ import annotations


class InviteNotFoundError(LookupError):
    """No invite matches the given id or UID."""


class AmbiguousInviteError(LookupError):
    """A UID names invites of several organizers: use the invite id instead."""
