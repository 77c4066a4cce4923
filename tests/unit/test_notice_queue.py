"""Organizer notices leave ingest's path once background work runs, and are never lost by it:
sent after the ingest returned, sent on close, kept for the retry when the mailer fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from dependency_injector import providers

from application.outbound.notice_queue import NoticeQueue
from application.ports import Notice, NoticeSender, TemporaryDeliveryError
from application.send_types import SendOutcome
from tests.driver import Driver
from tests.fakes import ORGANIZER, T0, at, deliver, new_service, request

# Long enough for any honest wait on this machine; a test waiting this long has failed.
PATIENCE = 10.0


class HeldNotices(NoticeSender):
    """Keeps every notice it sends, but only once ``released``; until then each send waits
    (and says it started), as a slow mailer would. ``down`` makes sends fail as a relay's 4xx."""

    def __init__(self, *, released: bool = True) -> None:
        self.sent: list[Notice] = []
        self.threads: list[str] = []
        self.started = threading.Event()
        self.released = threading.Event()
        if released:
            self.released.set()
        self.down: str | None = None

    def send(self, notice: Notice, *, now: datetime) -> str:
        self.threads.append(threading.current_thread().name)
        self.started.set()
        if not self.released.wait(PATIENCE):
            raise AssertionError("the test never released the notice")
        if self.down is not None:
            raise TemporaryDeliveryError(self.down)
        self.sent.append(notice)
        return f"kept #{len(self.sent)}"


def serving(notices: HeldNotices, queue: NoticeQueue | None = None) -> Driver:
    """Return the application as the embedded server runs it: notices go through the
    composition root's queue, sent by a background thread."""
    service = new_service(notices=notices)
    if queue is not None:
        service.container.notice_queue.override(providers.Object(queue))
    service.container.notifier().start_background()
    return service


@pytest.fixture
def stopped() -> Iterator[list[Driver]]:
    """Services whose background notices are stopped at the end of the test, whatever it did."""
    services: list[Driver] = []
    yield services
    for service in services:
        service.container.notifier().stop_background()


def test_ingest_returns_while_its_notice_is_still_being_sent(stopped: list[Driver]) -> None:
    notices = HeldNotices(released=False)
    service = serving(notices)
    stopped.append(service)
    assert deliver(service, request()).outcome.value == "created"
    # The sender holds the notice now, and the ingest above returned without waiting for it.
    assert notices.started.wait(PATIENCE)
    assert notices.sent == []
    notices.released.set()
    service.container.notifier().stop_background()
    assert [(n.kind, n.to) for n in notices.sent] == [("created", ORGANIZER)]
    assert notices.threads == ["cis-notices"]


def test_notices_still_queued_are_sent_when_the_background_work_stops() -> None:
    notices = HeldNotices()
    # A burst that never goes quiet for long enough: nothing leaves before the close.
    service = serving(notices, NoticeQueue(settle=PATIENCE, longest=PATIENCE))
    for n in range(3):
        deliver(service, request(uid=f"meeting-{n}@example.com"))
    assert notices.sent == []
    assert service.container.notifier().stop_background() == 3
    assert [n.kind for n in notices.sent] == ["created"] * 3


def test_a_notice_after_the_close_is_sent_before_ingest_returns() -> None:
    notices = HeldNotices()
    service = serving(notices)
    service.container.notifier().stop_background()
    deliver(service, request())
    assert [n.kind for n in notices.sent] == ["created"]


def test_without_background_work_a_notice_is_sent_before_ingest_returns() -> None:
    notices = HeldNotices()
    service = new_service(notices=notices)
    deliver(service, request())
    assert [n.kind for n in notices.sent] == ["created"]
    assert notices.threads == [threading.current_thread().name]


def test_a_notice_that_fails_in_the_background_is_kept_and_sent_by_the_retry(
    stopped: list[Driver],
) -> None:
    notices = HeldNotices(released=False)
    notices.down = "451 4.3.0 try again later"
    service = serving(notices)
    stopped.append(service)
    deliver(service, request())
    assert notices.started.wait(PATIENCE)
    notices.released.set()
    service.container.notifier().stop_background()
    assert notices.threads == ["cis-notices"]
    assert notices.sent == []
    notices.down = None
    retried = service.retry(now=T0)
    assert [(r.address, r.outcome, r.notice) for r in retried] == [
        (ORGANIZER, SendOutcome.SENT, "created")
    ]
    assert [n.kind for n in notices.sent] == ["created"]


def test_the_servers_retry_round_finds_a_notice_the_background_work_kept(
    stopped: list[Driver],
) -> None:
    notices = HeldNotices()
    notices.down = "451 4.3.0 try again later"
    service = serving(notices)
    stopped.append(service)
    outbound = service.container.outbound()
    rounds = outbound.pending_sends()
    assert outbound.retry_due(rounds, now=T0) == []  # the first round: nothing pending yet
    deliver(service, request())
    service.container.notifier().stop_background()
    notices.down = None
    # The next round reads only the news since the first: the kept notice is among it.
    sent = outbound.retry_due(rounds, now=at(1))
    assert [(r.address, r.outcome, r.notice) for r in sent] == [
        (ORGANIZER, SendOutcome.SENT, "created")
    ]
    assert rounds.last is not None
    assert rounds.last.invites is not None  # not a full round
    assert rounds.last.notices


def test_the_background_work_sends_a_burst_once_the_mail_stops(stopped: list[Driver]) -> None:
    notices = HeldNotices()
    service = serving(notices, NoticeQueue(settle=0.05, longest=PATIENCE))
    stopped.append(service)
    for n in range(3):
        deliver(service, request(uid=f"meeting-{n}@example.com"))
    deadline = time.monotonic() + PATIENCE
    while len(notices.sent) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [n.kind for n in notices.sent] == ["created"] * 3
    assert set(notices.threads) == {"cis-notices"}
    assert service.container.notice_queue().waiting() == 0
