"""The real ingest and RSVP paths on DynamoDB: one write per message for its events (and one
before it for the people it introduces: their keys and streams), no key shared by unrelated
invites, no Scan (issue 4: no hot key on the ingest path, a call budget)."""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar, Event, vCalAddress

from adapters.storage.dynamodb.factory import DynamoDBFactory
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.corpus_mail import as_sent
from tests.driver import Driver, driver

INVITES = 12
NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def calendar(method: str, n: int, attendee_partstat: str | None = None) -> bytes:
    """A small real iCalendar message for invite ``n`` of organizer ``n``."""
    cal = Calendar()
    cal.add("prodid", "-//tests//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", f"meeting-{n}@example.org")
    event.add("summary", f"Meeting {n}")
    event.add("dtstart", NOW + timedelta(days=n))
    event.add("dtend", NOW + timedelta(days=n, hours=1))
    event.add("dtstamp", NOW)
    event.add("sequence", 0)
    event["organizer"] = vCalAddress(f"mailto:organizer{n}@example.org")
    attendee = vCalAddress(f"mailto:guest{n}@example.net")
    if attendee_partstat:
        attendee.params["PARTSTAT"] = attendee_partstat
    event["attendee"] = attendee
    cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


class Calls:
    """DynamoDB operations and the keys written, per ingested message."""

    def __init__(self) -> None:
        self.current: list[str] = []
        self.keys: list[set[str]] = []

    def hook(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.current.append(model.name)
        if model.name == "TransactWriteItems":
            self.keys[-1] |= {
                next(iter(op.values()))["Item"]["pk"]["S"] for op in params["TransactItems"]
            }

    def message(self) -> None:
        self.current = []
        self.keys.append(set())


@pytest.fixture
def service(tmp_path: Path, aws: None) -> Driver:
    import boto3

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="mail")
    settings = Settings(
        backend="aws",
        data_dir=tmp_path,
        region="us-east-1",
        dynamodb_table="events",
        create_tables=True,
        mail_bucket="mail",
        notify_organizers=False,
        secret=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    return driver(bootstrap(settings))


def test_ingest_and_replies_write_once_per_message_and_share_no_key(
    service: Driver,
) -> None:
    factory = service.factory
    assert isinstance(factory, DynamoDBFactory)
    service.store.keyring.kid("anyone@example.org")  # the salt of key ids: made once per table
    calls = Calls()
    factory.table.client.meta.events.register("provide-client-params.dynamodb.*", calls.hook)
    owners: dict[str, set[int]] = defaultdict(set)
    for n in range(INVITES):
        for raw, outcome in (
            (calendar("REQUEST", n), Outcome.CREATED),
            (calendar("REPLY", n, "ACCEPTED"), Outcome.RSVP),
        ):
            calls.message()
            assert as_sent(service, raw, now=NOW).outcome is outcome
            # The people the message introduces (a new attendee's key, the streams about
            # them), then its events: each one transaction.
            assert calls.current.count("TransactWriteItems") == 2, calls.current
            assert "Scan" not in calls.current
            for key in calls.keys[-1]:
                owners[key].add(n)
    shared = {key: invites for key, invites in owners.items() if len(invites) > 1}
    assert shared == {}
    # Invite, UID index, attendance, receipts, and the guest's key and streams: all their own.
    assert len(owners) >= 4 * INVITES
