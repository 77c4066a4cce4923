"""What people added after a cancellation get: the series without the cancelled instances,
and nothing at all once the whole invite is cancelled."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from adapters.mail.outbox import OutboxFolderMailer
from application.send_types import Recipient, SendOutcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
HOLDER, NEWCOMER = "holder@example.org", "newcomer@example.org"


def sent(data: Path) -> list[tuple[str, str | None, int | None, Path]]:
    """Return (to, METHOD, SEQUENCE, file) of each invitation in the outbox."""
    entries = OutboxFolderMailer(data / "outbox").entries()
    return [(e.to, e.method, e.sequence, e.path) for e in entries if e.method]


def calendar_of(path: Path) -> Calendar:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def weekly_with_second_cancelled(service: Driver) -> tuple[str, datetime]:
    """Create Google's weekly series, send it to HOLDER, then cancel its second instance."""
    raw = (CORPUS / "recurring/gcal-weekly-recur.ics").read_bytes()
    ref = str(from_organizer(service, raw, now=NOW).invite)
    service.send(ref, [Recipient(HOLDER)], now=NOW)
    calendar = Calendar.from_ical(raw)
    event = calendar.events[0]
    second = event.start + timedelta(days=7)
    assert isinstance(second, datetime)
    calendar["METHOD"] = "CANCEL"
    event["SEQUENCE"] = int(event.get("SEQUENCE", 0)) + 1
    event.add("RECURRENCE-ID", second)
    del event["RRULE"]
    assert from_organizer(service, calendar.to_ical(), now=NOW).outcome.value == "cancelled"
    return ref, second


def test_a_newcomer_gets_the_series_with_an_exdate_for_a_cancelled_instance(
    tmp_path: Path,
) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    ref, second = weekly_with_second_cancelled(service)
    (result,) = service.send(ref, [Recipient(NEWCOMER)], now=NOW)
    assert result.outcome is SendOutcome.SENT
    path = next(p for to, method, _, p in sent(tmp_path) if to == NEWCOMER)
    calendar = calendar_of(path)
    (event,) = calendar.events  # no VEVENT for the cancelled instance
    assert event.get("RECURRENCE-ID") is None
    assert event.get("RRULE") is not None
    exdate: Any = event["EXDATE"]
    # Written as DTSTART is: a date-time in the series' own zone.
    assert exdate.params["TZID"] == event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert [d.dt for d in exdate.dts] == [second]


def test_a_newcomers_copy_has_no_occurrence_at_the_cancelled_instant(tmp_path: Path) -> None:
    recurring = pytest.importorskip("recurring_ical_events")
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    ref, second = weekly_with_second_cancelled(service)
    service.send(ref, [Recipient(NEWCOMER)], now=NOW)
    path = next(p for to, _, _, p in sent(tmp_path) if to == NEWCOMER)
    week = recurring.of(calendar_of(path)).between(
        second - timedelta(days=1), second + timedelta(days=6)
    )
    assert week == []
    third = recurring.of(calendar_of(path)).at((second + timedelta(days=7)).astimezone(UTC).date())
    assert [e.start for e in third] == [second + timedelta(days=7)]


def test_holders_still_get_the_instance_cancel(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    weekly_with_second_cancelled(service)
    mails = sorted((to, method, sequence) for to, method, sequence, _ in sent(tmp_path))
    assert mails == [(HOLDER, "CANCEL", 1), (HOLDER, "REQUEST", 0)]


def test_a_cancelled_invite_goes_to_no_newcomer_but_reaches_its_holders(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    ref = str(from_organizer(service, raw, now=NOW).invite)
    service.send(ref, [Recipient(HOLDER)], now=NOW)
    service.cancel(ref, now=NOW)
    results = service.send(ref, [Recipient(NEWCOMER), Recipient(HOLDER)], now=NOW)
    outcomes = {r.address: r.outcome for r in results}
    assert outcomes == {NEWCOMER: SendOutcome.CANCELLED, HOLDER: SendOutcome.DUPLICATE}
    refusal = next(r for r in results if r.address == NEWCOMER)
    assert "cancelled" in (refusal.reason or "")
    mails = sorted((to, method, sequence) for to, method, sequence, _ in sent(tmp_path))
    assert mails == [(HOLDER, "CANCEL", 1), (HOLDER, "REQUEST", 0)]
    assert NEWCOMER not in {row.address for row in service.report(ref)}
