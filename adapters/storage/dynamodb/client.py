"""A boto3 DynamoDB client made on first use, once: shared by the event store and the views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.aws.clients import LazyClient, new_client


def _nothing(client: Any) -> None:
    """No preparation: the client is usable as made."""


class LazyDynamoClient(LazyClient):
    """Makes the DynamoDB client on the first ``get()`` (never at import or construction), once.

    Threads racing for it share one client. ``prepare`` runs on the new client before any
    thread can see it (e.g. to create the table), so nobody uses a table that is not ready.
    ``max_attempts`` bounds botocore's own tries per request (throttling, 5xx).
    """

    def __init__(
        self,
        region: str | None,
        endpoint_url: str | None,
        *,
        max_attempts: int = 10,
        prepare: Callable[[Any], None] = _nothing,
    ) -> None:
        super().__init__(self._made_and_prepared)
        self.region = region
        self.endpoint_url = endpoint_url
        self.max_attempts = max_attempts
        self._prepare = prepare

    def _made_and_prepared(self) -> Any:
        from botocore.config import Config

        # Standard mode jitters and caps its backoff and keeps a client-wide retry budget, so
        # throttled writers spread out instead of retrying in lockstep. Its re-sends of a
        # TransactWriteItems reuse the idempotency token botocore fills in once per call: a
        # commit whose answer was lost is not applied twice, nor reported as a version conflict.
        config = Config(retries={"mode": "standard", "total_max_attempts": self.max_attempts})
        client = new_client("dynamodb", self.region, endpoint_url=self.endpoint_url, config=config)
        self._prepare(client)
        return client
