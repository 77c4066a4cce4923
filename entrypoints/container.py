"""The composition root: the one place that knows which adapters are wired."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.inbound.parser import EmailCalendarParser
from adapters.storage.blobs import FolderBlobStore, MemoryBlobStore
from application.routing import Mailboxes
from application.service import InviteService
from entrypoints.settings import Settings


def persistence_env(settings: Settings) -> dict[str, str]:
    """Return the eventsourcing environment for the configured backend."""
    if settings.backend == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "adapters.storage.sqlite",
        "SQLITE_DBNAME": str(settings.event_store_path),
        "SQLITE_LOCK_TIMEOUT": str(settings.sqlite_lock_timeout),
        "SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
    }


class Container(containers.DeclarativeContainer):
    """Wires settings to adapters to the invite service; tests override providers."""

    settings = providers.Dependency(instance_of=Settings)
    parser = providers.Singleton(EmailCalendarParser)
    blobs = providers.Selector(
        providers.Callable(lambda s: s.backend, settings),
        embedded=providers.Singleton(
            FolderBlobStore,
            providers.Callable(lambda s: s.messages_path, settings),
            fsync=providers.Callable(lambda s: s.fsync_messages, settings),
        ),
        memory=providers.Singleton(MemoryBlobStore),
    )
    mailboxes = providers.Singleton(
        Mailboxes,
        create=providers.Callable(lambda s: s.create_mailbox, settings),
        rsvp=providers.Callable(lambda s: s.rsvp_mailbox, settings),
    )
    service = providers.Singleton(
        InviteService,
        providers.Callable(persistence_env, settings),
        parser=parser,
        blobs=blobs,
        mailboxes=mailboxes,
        open_registry=providers.Callable(lambda s: s.open_registry, settings),
        relays=providers.Callable(lambda s: s.relay_domains, settings),
    )


def bootstrap(settings: Settings | None = None) -> Container:
    """Return a container for ``settings`` (from the environment when None)."""
    return Container(settings=settings or Settings())
