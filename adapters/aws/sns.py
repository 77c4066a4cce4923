"""Announcements on Amazon SNS: one topic per kind, as the deployment names them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from application.ports import Announcement, Announcer


class SnsAnnouncer(Announcer):
    """Publishes each announcement to the topic of its kind (``NEW_EVENT_INVITE`` …)."""

    def __init__(
        self,
        topics: Mapping[str, str],
        *,
        region: str | None = None,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.topics = dict(topics)
        self.region = region
        self._factory = client_factory or self._default_client
        self._client: Any = None
        self._lock = threading.Lock()

    def _default_client(self) -> Any:
        import boto3  # imported on first publish: a Lambda that never publishes never pays for it

        return boto3.session.Session().client("sns", region_name=self.region)

    def _sns(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def publish(self, announcement: Announcement) -> None:
        """Publish to the kind's topic; a kind without a topic is not published."""
        topic = self.topics.get(announcement.kind)
        if topic is None:
            return
        self._sns().publish(
            TopicArn=topic,
            Message=json.dumps(announcement.as_dict()),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": announcement.kind},
                "invite": {"DataType": "String", "StringValue": str(announcement.invite)},
            },
        )
