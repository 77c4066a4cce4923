"""Outbound mail: invites rendered as iMIP emails (DESIGN.md, Outbound mail)."""

from adapters.outbound.renderer import IcalendarInviteRenderer

__all__ = ["IcalendarInviteRenderer"]
