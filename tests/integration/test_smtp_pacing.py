"""Pacing per receiving domain against a real aiosmtpd relay on 127.0.0.1 that defers (451)
the first copies to one domain: the other domains' mail goes, the deferred domain's later
sends are spaced further apart, and the retries deliver everything, each copy once.

Time is the paced mailer's injected clock, which moves only when it waits: nothing here
asserts on wall time.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from dependency_injector import providers

from adapters.mail.pacing import PacedMailer
from adapters.mail.smtp import SmtpMailer
from application.send_types import Recipient, SendOutcome
from domain.pacing import Pace, receiving_domain
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import Driver
from tests.fakes import FakeParser, at, deliver, request
from tests.faults.smtp_sink import FreePortController

SLOW, FAST, OTHER = "slow.test", "fast.test", "other.test"
PEOPLE = [f"{n}@{SLOW}" for n in range(4)] + [f"{n}@{FAST}" for n in range(4)] + ["x@other.test"]
DEFERRED = 2  # the relay answers 451 to the first two copies for SLOW
RATE = 10.0


class Clock:
    """The paced mailer's monotonic clock: it moves only when the mailer sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class DeferringRelay:
    """Answers 451 to the first ``DEFERRED`` recipients at SLOW, takes everything else, and
    notes the (injected) time of every RCPT."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.left = DEFERRED
        self.attempts: list[tuple[str, float]] = []
        self.copies: Counter[str] = Counter()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.attempts.append((address, self.clock.now))
        if receiving_domain(address) == SLOW and self.left > 0:
            self.left -= 1
            return "451 4.7.28 rate limited, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.copies.update(envelope.rcpt_tos)
        return "250 2.0.0 Ok: queued as P4C3"

    def times(self, domain: str) -> list[float]:
        return [t for address, t in self.attempts if receiving_domain(address) == domain]


@pytest.fixture
def rig() -> Iterator[tuple[Driver, DeferringRelay, PacedMailer]]:
    clock = Clock()
    relay = DeferringRelay(clock)
    server = FreePortController(relay, hostname="127.0.0.1", port=0)
    server.start()
    settings = Settings(
        backend="memory",
        mailer="smtp",
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        smtp_starttls=False,
        domain_rate=RATE,
        notify_organizers=False,
        sender_policy="off",
    )
    container = bootstrap(settings)
    # What the container wires for the smtp mailer, with the clock injected.
    smtp = SmtpMailer(
        "127.0.0.1", server.port, starttls=False, local_hostname="cis.test", timeout=5
    )
    pace = Pace(settings.domain_rate, settings.domain_rate_overrides)
    mailer = PacedMailer(smtp, pace, clock=clock, sleep=clock.sleep)
    container.parser.override(providers.Object(FakeParser()))
    container.mailer.override(providers.Object(mailer))
    try:
        yield Driver(container), relay, mailer
    finally:
        smtp.close()
        server.stop()


def test_a_deferring_domain_is_slowed_while_the_others_go_and_nothing_is_lost(
    rig: tuple[Driver, DeferringRelay, PacedMailer],
) -> None:
    service, relay, mailer = rig
    invite = str(deliver(service, request()).invite)
    results = service.send(invite, [Recipient(p, origin="bulk") for p in PEOPLE], now=at(1))

    outcomes = {r.address: r.outcome for r in results}
    assert [a for a, o in outcomes.items() if o is SendOutcome.QUEUED] == PEOPLE[:DEFERRED]
    assert all(outcomes[p] is SendOutcome.SENT for p in PEOPLE if not p.endswith(SLOW))
    assert all(relay.copies[p] == 1 for p in PEOPLE[DEFERRED:])

    # At 10 a second a copy to SLOW would go every 0.1 s: after one deferral every 0.2 s,
    # after two every 0.4 s (the rate halves), while the sends in between went on.
    slow = relay.times(SLOW)
    gaps = [later - earlier for earlier, later in itertools.pairwise(slow)]
    assert gaps[0] == pytest.approx(2 / RATE)
    assert gaps[1] == pytest.approx(4 / RATE)
    assert all(gap >= 2 / RATE - 1e-9 for gap in gaps)
    assert mailer.pace.rate(SLOW) < RATE
    assert mailer.pace.rate(FAST) == mailer.pace.rate(OTHER) == RATE

    # The deferred copies stay pending; the retries deliver them with the same Message-IDs.
    for minute in range(2, 6):
        if all(relay.copies[p] for p in PEOPLE):
            break
        service.retry(now=at(minute))
    assert relay.copies == Counter(PEOPLE)
    retried = {r.address: r for r in service.send(invite, [Recipient(PEOPLE[0])], now=at(9))}
    assert retried[PEOPLE[0]].outcome is SendOutcome.DUPLICATE
