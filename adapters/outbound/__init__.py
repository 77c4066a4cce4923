"""Outbound mail: invites rendered as iMIP emails (docs/architecture.md, Outbound mail)."""

from adapters.outbound.renderer import IcalendarInviteRenderer

__all__ = ["IcalendarInviteRenderer"]
