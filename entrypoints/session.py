"""The one container (and its front doors) a CLI run uses, built lazily through the
composition root."""

from __future__ import annotations

from adapters.storage.health import orphaned_store
from application.front_doors import FrontDoors
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings


class _Session:
    settings: Settings | None = None
    current: Container | None = None
    debug: bool = False
    recovery: bool = False


def configure(settings: Settings) -> None:
    """Use ``settings`` for this run (the container is built on first use)."""
    _Session.settings = settings
    _Session.current = None
    _Session.recovery = False


def show_tracebacks(debug: bool) -> None:
    """Make errors end with their traceback (``cis --debug``) or as one line."""
    _Session.debug = debug


def settings() -> Settings | None:
    """Return this run's settings, or None before they could be read."""
    return _Session.settings


def debugging() -> bool:
    """Return whether errors should end with their traceback (``cis --debug``)."""
    return _Session.debug


def recover() -> str | None:
    """Accept an empty event store beside kept mail for this run (``cis reingest``).

    Return what is wrong with the store, so the caller can say what it is about to do.
    """
    _Session.recovery = True
    _Session.current = None
    chosen = _Session.settings or Settings()
    if chosen.backend != "embedded":
        return None
    return orphaned_store(chosen.event_store_path, chosen.messages_path, chosen.outbox_path)


def container() -> Container:
    """Return this run's container, building it on first use (never at import)."""
    if _Session.current is None:
        _Session.current = bootstrap(_Session.settings, recovery=_Session.recovery)
    return _Session.current


def doors() -> FrontDoors:
    """Return this run's front doors (the use cases commands call)."""
    found: FrontDoors = container().front_doors()
    return found
