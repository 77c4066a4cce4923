"""Announcements on Amazon SNS: one topic per kind, as the deployment names them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from adapters.aws.clients import LazyClient
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
        # Made on first publish: a Lambda that never publishes never pays for boto3.
        self._client = LazyClient.of("sns", region, client_factory)

    def _sns(self) -> Any:
        return self._client.get()

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
