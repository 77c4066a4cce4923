"""What every handler shares: one logger and one composition root per Lambda process.

The container (and with it eventsourcing, icalendar, boto3…) is built on the first
invocation, not at import: a handler module stays cheap to import, and a process that is
never invoked never pays for the whole application.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from entrypoints.container import Container

logger = Logger(service="calendar-invite-server")

T = TypeVar("T")

_lock = threading.Lock()
_container: Container | None = None


def container() -> Container:
    """Return this process's container, built from the environment on first use."""
    global _container
    with _lock:
        if _container is None:
            from entrypoints.container import bootstrap, sender_policy_warning

            _container = bootstrap()
            warning = sender_policy_warning(_container.settings())
            if warning is not None:
                logger.warning(warning)
        return _container


def per_container(make: Callable[[Container], T]) -> Callable[[], T]:
    """``make`` applied to this process's container on first use, again only if it changes.

    Tests swap the container through ``reset``; what was made from the old one is not reused.
    """
    lock = threading.Lock()
    made: tuple[Container, T] | None = None

    def current() -> T:
        nonlocal made
        now = container()
        with lock:
            if made is None or made[0] is not now:
                made = (now, make(now))
            return made[1]

    return current


def reset(replacement: Container | None = None) -> None:
    """Drop (or replace) the process's container: tests wire their own through this."""
    global _container
    with _lock:
        _container = replacement
