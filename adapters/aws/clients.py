"""boto3 clients made on first use, once per adapter, never at import or construction."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def new_client(service: str, region: str | None, **options: Any) -> Any:
    """A boto3 client in a session of its own (boto3's default session is not thread-safe)."""
    import boto3  # Imported here: ~180 ms kept off every import path.

    return boto3.session.Session().client(service, region_name=region, **options)


class LazyClient:
    """Holds ``make`` and calls it on the first ``get()`` only, even when threads race."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def of(
        cls, service: str, region: str | None, factory: Callable[[], Any] | None = None
    ) -> LazyClient:
        """A lazy client of ``service`` from ``factory`` (tests), else a plain boto3 client."""
        return cls(factory or (lambda: new_client(service, region)))

    @property
    def made(self) -> Any:
        """The client if it was made already, else None (no AWS call either way)."""
        return self._client

    def get(self) -> Any:
        """The client, made now if this is its first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    # Published once made in full: no thread sees a half-prepared client.
                    self._client = self._make()
        return self._client
