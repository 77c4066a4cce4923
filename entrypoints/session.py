"""The one service a CLI run uses, built lazily through the composition root."""

from __future__ import annotations

from application.service import InviteService
from entrypoints.container import bootstrap
from entrypoints.settings import Settings


class _Session:
    settings: Settings | None = None
    current: InviteService | None = None


def configure(settings: Settings) -> None:
    """Use ``settings`` for the service of this run (built on first use)."""
    _Session.settings = settings
    _Session.current = None


def service() -> InviteService:
    """Return the service of this run, building it on first use (never at import)."""
    if _Session.current is None:
        _Session.current = bootstrap(_Session.settings).service()
    return _Session.current
