"""The one container (and service) a CLI run uses, built lazily through the composition root."""

from __future__ import annotations

from application.service import InviteService
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings


class _Session:
    settings: Settings | None = None
    current: Container | None = None


def configure(settings: Settings) -> None:
    """Use ``settings`` for this run (the container is built on first use)."""
    _Session.settings = settings
    _Session.current = None


def container() -> Container:
    """Return this run's container, building it on first use (never at import)."""
    if _Session.current is None:
        _Session.current = bootstrap(_Session.settings)
    return _Session.current


def service() -> InviteService:
    """Return this run's invite service."""
    return container().service()
