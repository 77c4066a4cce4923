"""The DynamoDB persistence module: ``PERSISTENCE_MODULE=adapters.storage.dynamodb.factory``.

Environment: ``DYNAMODB_TABLE`` (required), ``DYNAMODB_CREATE_TABLE`` (y/n, default n: create
the table if missing, for local use and tests), ``DYNAMODB_NOTIFICATIONS`` (y/n, default n: the
opt-in notification log, see ``application``), ``REGION`` or ``AWS_DEFAULT_REGION``, and
``DYNAMODB_ENDPOINT_URL``. One boto3 client per factory, created on first use.
"""

from __future__ import annotations

from eventsourcing.persistence import (
    AggregateRecorder,
    InfrastructureFactory,
    InfrastructureFactoryError,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool

from adapters.privacy.dynamodb_keys import DynamoPersonalKeys
from adapters.storage.dynamodb.application import DynamoApplicationRecorder
from adapters.storage.dynamodb.events import DynamoAggregateRecorder, prefix_for
from adapters.storage.dynamodb.table import DynamoTable
from adapters.storage.dynamodb.tracking import DynamoProcessRecorder, DynamoTrackingRecorder


class DynamoDBFactory(InfrastructureFactory[DynamoTrackingRecorder]):
    """Builds every recorder on one DynamoDB table, each in its own key space."""

    DYNAMODB_TABLE = "DYNAMODB_TABLE"
    DYNAMODB_CREATE_TABLE = "DYNAMODB_CREATE_TABLE"
    DYNAMODB_NOTIFICATIONS = "DYNAMODB_NOTIFICATIONS"
    DYNAMODB_ENDPOINT_URL = "DYNAMODB_ENDPOINT_URL"

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        name = self.env.get(self.DYNAMODB_TABLE)
        if not name:
            keys = ", ".join(self.env.create_keys(self.DYNAMODB_TABLE))
            msg = f"DynamoDB table name not found in environment with keys: {keys}"
            raise InfrastructureFactoryError(msg)
        self.table = DynamoTable(
            name,
            region=self.env.get("REGION") or self.env.get("AWS_DEFAULT_REGION") or None,
            endpoint_url=self.env.get(self.DYNAMODB_ENDPOINT_URL) or None,
        )
        self._table_checked = False

    def _flag(self, key: str) -> bool:
        return bool(strtobool(self.env.get(key) or "n"))

    def _ready(self) -> DynamoTable:
        # Creating on demand (not in __init__) keeps constructing a factory free of AWS calls.
        if not self._table_checked and self._flag(self.DYNAMODB_CREATE_TABLE):
            self.table.create_if_missing()
            self._table_checked = True
        return self.table

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        """Streams for ``purpose``; snapshots get their own ``snapshot#`` key space."""
        return DynamoAggregateRecorder(self._ready(), prefix=prefix_for(purpose))

    def application_recorder(self) -> DynamoApplicationRecorder:
        """Streams, plus the notification log only when ``DYNAMODB_NOTIFICATIONS=y``."""
        return DynamoApplicationRecorder(
            self._ready(), notifications=self._flag(self.DYNAMODB_NOTIFICATIONS)
        )

    def tracking_recorder(
        self, tracking_recorder_class: type[DynamoTrackingRecorder] | None = None
    ) -> DynamoTrackingRecorder:
        """A tracking recorder, of the given class or ``TRACKING_RECORDER_TOPIC``."""
        if tracking_recorder_class is None:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            tracking_recorder_class = resolve_topic(topic) if topic else DynamoTrackingRecorder
        assert issubclass(tracking_recorder_class, DynamoTrackingRecorder)
        return tracking_recorder_class(self._ready())

    def process_recorder(self) -> DynamoProcessRecorder:
        """Events and tracking written together, atomically."""
        return DynamoProcessRecorder(
            self._ready(), notifications=self._flag(self.DYNAMODB_NOTIFICATIONS)
        )

    def personal_keys(self) -> DynamoPersonalKeys:
        """Per-person keys in the same table as the events they seal."""
        return DynamoPersonalKeys(self._ready())
