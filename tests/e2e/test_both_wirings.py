"""The send-and-RSVP scenario on both wirings: embedded (SQLite, folder, outbox) and AWS
(DynamoDB, S3, SES under moto; with and without an SQS work queue), with identical outcomes."""

from __future__ import annotations

import base64
import email
import email.policy
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest
from icalendar import Calendar

from adapters.mail.outbox import OutboxFolderMailer
from application.ports import WorkQueue
from application.send_types import Recipient
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver
from tests.replies import answer, invitation_calendar

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
GUESTS = ["ann@example.org", "ben@example.org", "cho@example.org"]
DOMAIN = "invites.example"
Sent = Callable[[], list[EmailMessage]]
Drain = Callable[[], None]
# What keeps the views current beside the application: nothing on the embedded wiring (the
# report catches them up itself); on AWS the table's stream, played here by the runner.
Project = Callable[[], object]


@pytest.fixture(params=["embedded", "aws", "aws+sqs"])
def wiring(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Driver, Sent, Drain, Project]]:
    if request.param == "embedded":
        service = driver(bootstrap(Settings(data_dir=tmp_path, mail_domain=DOMAIN)))
        yield (
            service,
            lambda: _parsed(
                e.path.read_bytes() for e in OutboxFolderMailer(tmp_path / "outbox").entries()
            ),
            lambda: None,
            lambda: None,
        )
        return
    request.getfixturevalue("aws")  # moto for this test, with throwaway credentials
    # The notification log lets the runner project what the stream would feed when deployed.
    request.getfixturevalue("monkeypatch").setenv("DYNAMODB_NOTIFICATIONS", "y")
    import boto3
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    bucket = f"mail-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
    boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain=DOMAIN)
    queue_url = None
    if request.param == "aws+sqs":
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName=f"work-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    settings = Settings(
        backend="aws",
        data_dir=tmp_path,
        mail_domain=DOMAIN,
        region="us-east-1",
        dynamodb_table=f"events-{uuid.uuid4().hex[:12]}",
        create_tables=True,
        mail_bucket=bucket,
        mailer="ses",
        secret=base64.b64encode(secrets.token_bytes(32)).decode(),
        sqs_url=queue_url,
    )
    container = bootstrap(settings)
    service = driver(container)
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    yield (
        service,
        lambda: _parsed(
            m.raw_data.encode() if isinstance(m.raw_data, str) else m.raw_data
            for m in backend.sent_messages
        ),
        lambda: _drain(service, container.queue()),
        container.projections().run,
    )


def _drain(service: Driver, queue: WorkQueue | None) -> None:
    """Do every queued job, as the worker Lambda would."""
    while queue is not None and (batch := queue.receive(10)):
        for received in batch:
            assert received.job is not None, received.problem
            service.work(received.job, now=START)
            queue.done(received)


def _parsed(raws: Iterable[bytes]) -> list[EmailMessage]:
    found = []
    for raw in raws:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def invitations(sent: Sent) -> list[tuple[str, str, int, Calendar]]:
    rows = []
    for message in sent():
        calendar = invitation_calendar(message)
        if calendar is not None:
            event = calendar.events[0]
            rows.append(
                (
                    parseaddr(str(message["To"]))[1],
                    str(calendar["METHOD"]),
                    int(str(event["SEQUENCE"])),
                    calendar,
                )
            )
    return rows


def test_the_same_scenario_ends_the_same_on_both_wirings(
    wiring: tuple[Driver, Sent, Drain, Project],
) -> None:
    service, sent, drain, project = wiring
    request = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    created = from_organizer(service, request, now=START)
    assert created.outcome is Outcome.CREATED
    invite = str(created.invite)
    results = service.send(invite, [Recipient(g, origin="bulk") for g in GUESTS], now=START)
    assert {r.outcome.value for r in results} == {"sent"}
    assert from_organizer(service, request, now=START).outcome is Outcome.DUPLICATE

    first = {to: calendar for to, _, _, calendar in invitations(sent)}
    for guest, partstat in ((GUESTS[0], "ACCEPTED"), (GUESTS[1], "DECLINED")):
        data, address = answer(first[guest], guest, partstat)
        assert service.ingest(data, now=START, envelope_to=address).outcome is Outcome.RSVP
    forged, address = answer(first[GUESTS[2]], GUESTS[0], "DECLINED")
    assert service.ingest(forged, now=START, envelope_to=address).outcome is Outcome.REJECTED
    project()
    answered = {row.address: row.status for row in service.report(invite)}
    assert answered == {GUESTS[0]: "accepted", GUESTS[1]: "declined", GUESTS[2]: "no answer"}

    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    assert (
        from_organizer(service, update, now=START + timedelta(hours=1)).outcome is Outcome.UPDATED
    )
    drain()
    cancel = update.replace(b"METHOD:REQUEST", b"METHOD:CANCEL").replace(
        b"SEQUENCE:1", b"SEQUENCE:2"
    )
    assert (
        from_organizer(service, cancel, now=START + timedelta(hours=2)).outcome is Outcome.CANCELLED
    )
    drain()

    versions = sorted((to, method, seq) for to, method, seq, _ in invitations(sent))
    assert versions == sorted(
        (g, m, s) for g in GUESTS for m, s in (("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2))
    )
    # The time changed (a significant change), then the event was cancelled: old answers lapse.
    project()
    statuses = {row.address: row.status for row in service.report(invite)}
    assert statuses == dict.fromkeys(GUESTS, "no answer")
    assert service.show(invite).status == "cancelled"
