"""What the composition root builds for the AWS entry points, each module imported on first
use: a function that never needs one (the HTTP API) never loads it, nor boto3 with it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from adapters.aws.event_scan import EventScan
    from adapters.aws.inbound_mail import InboundMail
    from adapters.aws.redrive import Redrive
    from adapters.aws.stream_records import StreamRecords
    from adapters.aws.work_messages import Announced
    from application.inbound.delivery_notices import DeliveryNotice
    from application.inbound.front_door import Inbound
    from application.ports import Job
    from application.projections.stream_feed import StreamFeed
    from application.store import InviteStore
    from application.webhooks.front_door import Webhooks


def inbound_mail(inbound: Inbound, *, bucket: str, domain: str, region: str | None) -> InboundMail:
    """The processor of raw mail SES keeps in ``bucket``, ingested through ``inbound``."""
    from adapters.aws.inbound_mail import InboundMail

    return InboundMail.of(inbound, bucket=bucket, domain=domain, region=region)


def redrive(mail: InboundMail, *, region: str | None) -> Redrive:
    """What runs kept mail, or a dead-letter queue's messages, through ``mail`` again."""
    from adapters.aws.redrive import Redrive

    return Redrive(mail, region=region)


def notice_reader() -> Callable[[str], DeliveryNotice | None]:
    """What reads the SES bounce or complaint a bounce-queue record body carries."""
    from adapters.aws.mail_events import notice_in

    return notice_in


def webhook_records(webhooks: Webhooks) -> Callable[[Mapping[str, Any], datetime], list[UUID]]:
    """What fans out the webhook event a record of the event table's stream inserted (each
    new message then rides the work queue); a record of anything else fans out nothing."""
    from adapters.aws.stream_records import stored_event

    def fan_out(record: Mapping[str, Any], now: datetime) -> list[UUID]:
        stored = stored_event(record)
        return webhooks.fan_out_stored([stored], now) if stored is not None else []

    return fan_out


def work_reader() -> Callable[[str], Job | Announced]:
    """What reads the job (or the announcement) a work-queue record body carries."""
    from adapters.aws.work_messages import read_work

    return read_work


def stream_records(feed: StreamFeed) -> StreamRecords:
    """What turns a batch of the event table's stream records into events for ``feed``."""
    from adapters.aws.stream_records import StreamRecords

    return StreamRecords(feed)


def event_scan(store: InviteStore) -> EventScan:
    """What scans ``store``'s DynamoDB event table; raise TypeError for another backend."""
    from adapters.aws.event_scan import EventScan

    return EventScan(store)
