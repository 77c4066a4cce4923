"""Fault A: every raw message is kept with its envelope, so a reingest after the event store
is lost ends as the first ingest did, for mail whose meaning is in the envelope (``bulk@``
lists, ``rsvp+TOKEN@`` replies, bare files whose sender is the envelope's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from uuid import uuid4

import boto3
import pytest

from adapters.mail.outbox import OutboxFolderMailer
from adapters.storage.blobs import FolderBlobStore
from adapters.storage.s3_blobs import S3BlobStore
from application.kept_mail import Envelope
from domain.outcomes import Outcome
from entrypoints.aws import runtime
from entrypoints.aws.inbound import inbound_mail
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.aws.lambda_events import deployment_settings, ses_receipt_notification
from tests.aws.test_inbound_handler import (
    DOMAIN,
    REGION,
    REQUEST,
    Stack,
    build_stack,
    readdressed_reply,
    sent_invitation,
    store,
)
from tests.aws.test_redrive_cli import redrive
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver
from tests.integration.test_bulk_mailbox import BULK, ORGANIZER, list_mail
from tests.replies import answer, invitation_calendar

NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
INVITE = CORPUS / "update/gcal-selfsent-seq0.ics"
GUESTS = b"email,name\nbob@example.org,Bob\ncarol@example.org,Carol\n"


def service_on(data: Path, *, recovery: bool = False) -> Driver:
    """The service on ``data``; ``recovery`` opens a lost event store beside kept mail."""
    return driver(bootstrap(Settings(data_dir=data), recovery=recovery))


def lose_event_store(data: Path) -> None:
    """What a lost or deleted database leaves: the kept messages and the outbox only."""
    for path in data.glob("events.sqlite3*"):
        path.unlink()


def invitations(data: Path) -> list[str]:
    """Return the recipient of every invitation in the outbox (one per file), sorted."""
    entries = OutboxFolderMailer(data / "outbox").entries()
    return sorted(parseaddr(entry.to)[1] for entry in entries if entry.method == "REQUEST")


def send_list(data: Path) -> tuple[Driver, str]:
    """Record the organizer's invite, then its guest list sent to ``bulk@``."""
    service = service_on(data)
    invite = str(from_organizer(service, INVITE.read_bytes(), now=NOW).invite)
    mail = list_mail(ORGANIZER, f"Send [{invite}] please", GUESTS)
    assert service.ingest(mail, now=NOW, envelope_to=BULK).outcome is Outcome.BULK
    return service, invite


def test_a_list_sent_to_bulk_is_sent_again_by_reingest_after_the_store_is_lost(
    tmp_path: Path,
) -> None:
    _, invite = send_list(tmp_path)
    assert invitations(tmp_path) == ["bob@example.org", "carol@example.org"]
    lose_event_store(tmp_path)

    outcomes = [r.outcome for _, r in service_on(tmp_path, recovery=True).reingest(now=LATER)]

    assert outcomes == [Outcome.CREATED, Outcome.BULK]
    report = service_on(tmp_path).report(invite)
    assert sorted((row.address, row.status) for row in report) == [
        ("bob@example.org", "no answer"),
        ("carol@example.org", "no answer"),
    ]
    # The same invitations as the first time: one copy per recipient, none refused.
    assert invitations(tmp_path) == ["bob@example.org", "carol@example.org"]


def test_a_reply_to_a_token_address_is_recorded_again_by_reingest(tmp_path: Path) -> None:
    service, invite = send_list(tmp_path)
    bob = next(e for e in OutboxFolderMailer(tmp_path / "outbox").entries() if "bob@" in e.to)
    calendar = invitation_calendar(bob.path.read_bytes())
    assert calendar is not None
    reply, token_address = answer(calendar, "bob@example.org", "ACCEPTED")
    assert token_address.startswith("rsvp+")
    first = service.ingest(
        reply, now=NOW, envelope_to=token_address, envelope_from="bob@example.org"
    )
    assert first.outcome is Outcome.RSVP
    before = [(r.address, r.status, r.replied_at) for r in service.report(invite)]
    lose_event_store(tmp_path)

    results = list(service_on(tmp_path, recovery=True).reingest(now=LATER))

    assert [r.outcome for _, r in results] == [Outcome.CREATED, Outcome.BULK, Outcome.RSVP]
    assert results[-1][1].invite == first.invite
    after = [(r.address, r.status, r.replied_at) for r in service_on(tmp_path).report(invite)]
    assert after == before
    assert [(address, status) for address, status, _ in after] == [
        ("bob@example.org", "accepted"),
        ("carol@example.org", "no answer"),
    ]


def test_the_envelope_is_kept_beside_the_message_and_its_key_stays_the_bytes_digest(
    tmp_path: Path,
) -> None:
    store = FolderBlobStore(tmp_path / "messages")
    envelope = Envelope("rsvp+abc@invites.example", "bob@example.org", NOW, "smtp", "192.0.2.7")
    key = store.put(b"a reply", envelope)
    # A second copy (another recipient, a redelivery) keeps the first envelope.
    assert store.put(b"a reply", Envelope("create@invites.example", channel="cli")) == key

    reopened = FolderBlobStore(tmp_path / "messages")
    assert reopened.get(key) == b"a reply"
    assert reopened.envelope(key) == envelope
    sidecar = json.loads((tmp_path / "messages" / key[:2] / f"{key}.envelope.json").read_text())
    assert sidecar["message"] == key
    assert reopened.arrivals() == [key]


def test_a_message_kept_without_an_envelope_is_reingested_as_before(tmp_path: Path) -> None:
    service = service_on(tmp_path)
    raw = (CORPUS / "request/bluemind-invite.eml").read_bytes()
    key = service.ingest(raw, now=NOW, envelope_to="create@invites.localhost").message
    # A message kept before envelopes were: no envelope file beside it.
    (tmp_path / "messages" / key[:2] / f"{key}.envelope.json").unlink()
    assert service.blobs.envelope(key) is None
    lose_event_store(tmp_path)

    ((listed, result),) = list(service_on(tmp_path, recovery=True).reingest(now=LATER))

    assert (listed, result.outcome) == (key, Outcome.CREATED)
    assert service_on(tmp_path).blobs.envelope(key) is None


def test_s3_keeps_the_envelope_in_the_objects_metadata(aws: None) -> None:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="kept-envelopes")
    store = S3BlobStore("kept-envelopes", region=REGION)
    envelope = Envelope("rsvp+abc@invites.example", "zoë@exämple.org", NOW, "ses")
    key = store.put(b"a reply", envelope)
    assert store.put(b"a reply", Envelope("create@invites.example")) == key

    assert store.envelope(key) == envelope
    assert store.get(key) == b"a reply"
    assert store.envelope(store.put(b"kept without")) is None


@pytest.fixture
def stack(aws: None, tmp_path: Path) -> Iterator[Stack]:
    try:
        yield build_stack(tmp_path)
    finally:
        runtime.reset(None)


def arrive(stack: Stack, mailbox: str, raw: bytes, recipient: str) -> Outcome:
    """What SES does: keep the mail under inbound/<mailbox>/ and notify the inbound function."""
    key = f"inbound/{mailbox}/{uuid4().hex}"
    store(stack, key, raw)
    notification = ses_receipt_notification(stack.bucket, key, [recipient])
    (done,) = inbound_mail().receive(json.dumps(notification), now=NOW)
    return done.result.outcome


def test_redrive_from_s3_uses_the_envelope_kept_with_each_message(
    stack: Stack, tmp_path: Path
) -> None:
    created = stack.service.ingest(REQUEST.read_bytes(), now=NOW, envelope_to=f"create@{DOMAIN}")
    assert arrive(stack, "create", REQUEST.read_bytes(), f"create@{DOMAIN}") is Outcome.DUPLICATE
    listing = list_mail("alice@example.org", f"Send [{created.invite}] please", GUESTS)
    assert arrive(stack, "bulk", listing, f"bulk@{DOMAIN}") is Outcome.BULK
    invitation = sent_invitation("bob@example.org")
    token_address = str(invitation["Reply-To"]).strip("<>")
    calendar = invitation_calendar(invitation)
    assert calendar is not None
    # Bob's client answers To: the organizer's name: only SES's envelope says rsvp+TOKEN@.
    reply = readdressed_reply(calendar, "bob@example.org", "ACCEPTED")
    assert token_address.encode() not in reply
    assert arrive(stack, "rsvp", reply, token_address) is Outcome.RSVP
    # The event store is lost: new tables beside the same mail bucket and server secret.
    kept = {"mail_bucket": stack.bucket, "secret": stack.container.settings().secret}
    fresh = bootstrap(deployment_settings(tmp_path, uuid4().hex[:8], mail_domain=DOMAIN, **kept))
    runtime.reset(fresh)

    outcomes = [
        redrive("--from-s3", "--mailbox", mailbox)[1]["outcomes"]
        for mailbox in ("create", "bulk", "rsvp")
    ]

    assert outcomes == [{"created": 1}, {"bulk": 1}, {"rsvp": 1}]
    # The recipients' own streams: the report reads views only the table's stream would feed.
    recipients = driver(fresh).doors.reading.recipients(str(created.invite))
    report = {r.row.address: r.row.status for r in recipients}
    assert report == {"bob@example.org": "accepted", "carol@example.org": "no answer"}
