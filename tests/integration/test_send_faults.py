"""Failures while sending: nothing is lost, nothing is sent twice, after a retry."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from icalendar import Calendar

from adapters.mail.outbox import OutboxFolderMailer
from application.ports import Mailer, OutgoingMail, TemporaryDeliveryError
from application.send_types import Recipient, SendOutcome
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
PEOPLE = [f"guest{n}@example.org" for n in range(6)]


class Crash(BaseException):
    """The process dies: nothing after this point runs (not an Exception, nothing catches it)."""


class FlakyMailer(Mailer):
    """The real outbox mailer, with failures injected: per address, or a crash at send n."""

    def __init__(self, real: OutboxFolderMailer) -> None:
        self.real = real
        self.refuse: set[str] = set()
        self.crash_before: int | None = None
        self.crash_after: int | None = None
        self.calls = 0

    def send(self, mail: OutgoingMail) -> str:
        self.calls += 1
        if self.calls == self.crash_before:
            raise Crash
        if mail.recipient in self.refuse:
            raise TemporaryDeliveryError(f"451 4.3.0 {mail.recipient}: try again later")
        where = self.real.send(mail)
        if self.calls == self.crash_after:
            raise Crash
        return where


def wired(data: Path, flaky: FlakyMailer | None = None) -> tuple[Container, Driver]:
    container = bootstrap(Settings(data_dir=data))
    if flaky is not None:
        container.mailer.override(providers.Object(flaky))
    return container, driver(container)


def copies(data: Path) -> Counter[tuple[str, int | None]]:
    """Count the invitation .eml files per (recipient, SEQUENCE); notices have no METHOD."""
    entries = OutboxFolderMailer(data / "outbox").entries()
    return Counter((e.to, e.sequence) for e in entries if e.method is not None)


@pytest.fixture
def invite(tmp_path: Path) -> str:
    _, service = wired(tmp_path)
    created = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    service.close()
    return str(created.invite)


def test_temporary_failures_stay_pending_and_a_retry_sends_them_once(
    tmp_path: Path, invite: str
) -> None:
    flaky = FlakyMailer(OutboxFolderMailer(tmp_path / "outbox"))
    flaky.refuse = {PEOPLE[1], PEOPLE[4]}
    _, service = wired(tmp_path, flaky)
    first = service.send(invite, [Recipient(p) for p in PEOPLE], now=NOW)
    assert Counter(r.outcome for r in first) == {SendOutcome.SENT: 4, SendOutcome.QUEUED: 2}
    flaky.refuse = set()
    retried = service.retry(invite, now=NOW)
    assert sorted(r.address for r in retried) == [PEOPLE[1], PEOPLE[4]]
    assert {r.outcome for r in retried} == {SendOutcome.SENT}
    assert service.retry(invite, now=NOW) == []
    assert copies(tmp_path) == {(p, 0): 1 for p in PEOPLE}


@pytest.mark.parametrize("where", ["crash_before", "crash_after"])
def test_a_crash_mid_send_is_completed_by_a_retry_without_doubles(
    tmp_path: Path, invite: str, where: str
) -> None:
    flaky = FlakyMailer(OutboxFolderMailer(tmp_path / "outbox"))
    setattr(flaky, where, 3)
    _, service = wired(tmp_path, flaky)
    with pytest.raises(Crash):
        service.send(invite, [Recipient(p) for p in PEOPLE], now=NOW)
    # A new process: the intents were saved before the first mail went out.
    _, restarted = wired(tmp_path)
    pending = [e for e in restarted.outbox() if e.status == "pending"]
    assert len(pending) == len(PEOPLE) - 2
    restarted.retry(now=NOW)
    assert {e.status for e in restarted.outbox()} == {"sent"}
    assert copies(tmp_path) == {(p, 0): 1 for p in PEOPLE}


def test_after_failures_and_an_update_everyone_has_one_copy_of_each_version(
    tmp_path: Path, invite: str
) -> None:
    flaky = FlakyMailer(OutboxFolderMailer(tmp_path / "outbox"))
    flaky.refuse = {PEOPLE[0]}
    _, service = wired(tmp_path, flaky)
    service.send(invite, [Recipient(p) for p in PEOPLE], now=NOW)
    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    assert from_organizer(service, update, now=NOW).outcome.value == "updated"
    flaky.refuse = set()
    service.retry(now=NOW)
    expected = {(p, 1): 1 for p in PEOPLE} | {(p, 0): 1 for p in PEOPLE[1:]}
    assert copies(tmp_path) == expected
    statuses = Counter((e.to == PEOPLE[0], e.sequence, e.status) for e in service.outbox())
    assert statuses[(True, 0, "superseded")] == 1


def test_review_holds_an_update_until_approved(tmp_path: Path, invite: str) -> None:
    _, service = wired(tmp_path)
    service.send(invite, [Recipient(p) for p in PEOPLE[:2]], now=NOW)
    organizer = service.show(invite).organizer
    service.registry.review(organizer, True, now=NOW)
    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    assert from_organizer(service, update, now=NOW).outcome.value == "updated"
    assert copies(tmp_path) == {(PEOPLE[0], 0): 1, (PEOPLE[1], 0): 1}
    blocked = service.send(invite, [Recipient(PEOPLE[2])], now=NOW)
    assert blocked[0].outcome is SendOutcome.BLOCKED
    assert "review" in (blocked[0].reason or "")
    approved = service.approve(invite, now=NOW)
    assert {(r.address, r.sequence, r.outcome) for r in approved} == {
        (PEOPLE[0], 1, SendOutcome.SENT),
        (PEOPLE[1], 1, SendOutcome.SENT),
    }
    assert service.send(invite, [Recipient(PEOPLE[2])], now=NOW)[0].outcome is SendOutcome.SENT


def test_limit_and_blocks_are_reported_per_recipient_never_truncated(
    tmp_path: Path, invite: str
) -> None:
    _, service = wired(tmp_path)
    organizer = service.show(invite).organizer
    service.registry.limit_recipients(organizer, 3, now=NOW)
    service.registry.block(organizer, PEOPLE[1], True, now=NOW)
    results = service.send(invite, [Recipient(p) for p in PEOPLE], now=NOW)
    outcomes = [(r.address, r.outcome) for r in results]
    assert outcomes == [
        (PEOPLE[1], SendOutcome.BLOCKED),
        (PEOPLE[4], SendOutcome.LIMIT),
        (PEOPLE[5], SendOutcome.LIMIT),
        (PEOPLE[0], SendOutcome.SENT),
        (PEOPLE[2], SendOutcome.SENT),
        (PEOPLE[3], SendOutcome.SENT),
    ]
    assert all(
        "limit reached" in (r.reason or "") for r in results if r.outcome is SendOutcome.LIMIT
    )
    service.registry.block(organizer, PEOPLE[1], False, now=NOW)
    service.registry.limit_recipients(organizer, None, now=NOW)
    later = service.send(invite, [Recipient(PEOPLE[1])], now=NOW)
    assert later[0].outcome is SendOutcome.SENT


def test_a_cancellation_reaches_everyone_with_method_cancel(tmp_path: Path, invite: str) -> None:
    _, service = wired(tmp_path)
    service.send(invite, [Recipient(p) for p in PEOPLE[:2]], now=NOW)
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    cancel = raw.replace(b"METHOD:REQUEST", b"METHOD:CANCEL").replace(b"SEQUENCE:0", b"SEQUENCE:1")
    assert from_organizer(service, cancel, now=NOW).outcome.value == "cancelled"
    entries = [e for e in OutboxFolderMailer(tmp_path / "outbox").entries() if e.method]
    assert sorted((e.to, e.method, e.sequence) for e in entries) == [
        (PEOPLE[0], "CANCEL", 1),
        (PEOPLE[0], "REQUEST", 0),
        (PEOPLE[1], "CANCEL", 1),
        (PEOPLE[1], "REQUEST", 0),
    ]


def test_cancelling_one_instance_sends_a_cancel_for_it_and_newcomers_get_the_rest(
    tmp_path: Path,
) -> None:
    _, service = wired(tmp_path)
    raw = (CORPUS / "recurring/gcal-weekly-recur.ics").read_bytes()
    created = from_organizer(service, raw, now=NOW)
    ref = str(created.invite)
    service.send(ref, [Recipient(p) for p in PEOPLE[:2]], now=NOW)
    calendar = Calendar.from_ical(raw)
    event = calendar.events[0]
    second = event.start + timedelta(days=7)
    calendar["METHOD"] = "CANCEL"
    event["SEQUENCE"] = int(event.get("SEQUENCE", 0)) + 1
    event.add("RECURRENCE-ID", second)
    del event["RRULE"]
    assert from_organizer(service, calendar.to_ical(), now=NOW).outcome.value == "cancelled"
    service.send(ref, [Recipient(PEOPLE[2])], now=NOW)
    entries = [e for e in OutboxFolderMailer(tmp_path / "outbox").entries() if e.method]
    assert sorted((e.to, e.method, e.sequence) for e in entries) == [
        (PEOPLE[0], "CANCEL", 1),
        (PEOPLE[0], "REQUEST", 0),
        (PEOPLE[1], "CANCEL", 1),
        (PEOPLE[1], "REQUEST", 0),
        (PEOPLE[2], "REQUEST", 1),
    ]
    cancel = next(e for e in entries if e.method == "CANCEL")
    sent = Calendar.from_ical(_calendar_bytes(cancel.path))
    assert [e.get("RECURRENCE-ID").dt for e in sent.events] == [second]  # the same instant
    newcomer = next(e for e in entries if e.to == PEOPLE[2])
    full = Calendar.from_ical(_calendar_bytes(newcomer.path))
    assert any(e.get("RRULE") for e in full.events)
    # Newcomers never held the instance: it is an EXDATE of the series, not a VEVENT of its own.
    assert not any(str(e.get("STATUS")) == "CANCELLED" for e in full.events)
    exdate: Any = full.events[0]["EXDATE"]
    assert [d.dt for d in exdate.dts] == [second]
    outbox = {(e.to, e.sequence): e.method for e in service.outbox()}
    assert outbox[(PEOPLE[0], 1)] == "CANCEL"


def _calendar_bytes(path: Path) -> bytes:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload
