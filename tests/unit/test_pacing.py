"""Pacing per receiving domain: the round-robin order, the pace (AIMD), the paced mailer, the
settings, and the order sends reach the mailer in."""

from __future__ import annotations

import itertools
import math
import smtplib
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from adapters.mail.outbox import OutboxFolderMailer
from adapters.mail.pacing import PacedMailer
from adapters.mail.smtp import SmtpMailer
from application.ports import (
    Mailer,
    OutgoingMail,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from application.send_types import Recipient, SendOutcome
from domain.pacing import (
    FLOOR_RATE,
    Pace,
    RatesError,
    interleave_by_domain,
    parse_rates,
    receiving_domain,
)
from entrypoints.container import bootstrap
from entrypoints.failures import explain
from entrypoints.settings import Settings
from tests.fakes import KeptMail, at, deliver, new_service, request

DOMAINS = st.sampled_from(["a.test", "b.test", "c.test", "d.test"])
ITEMS = st.lists(st.tuples(DOMAINS, st.integers()), max_size=60)


def _domain(item: tuple[str, int]) -> str:
    return item[0]


# --- the order ---------------------------------------------------------------------------


@given(ITEMS)
def test_interleaving_is_a_permutation_keeping_each_domains_order(
    items: list[tuple[str, int]],
) -> None:
    order = interleave_by_domain(items, _domain)
    assert Counter(order) == Counter(items)
    for domain in {d for d, _ in items}:
        assert [i for i in order if i[0] == domain] == [i for i in items if i[0] == domain]


@given(ITEMS)
def test_a_domain_follows_itself_only_when_nothing_else_is_left(
    items: list[tuple[str, int]],
) -> None:
    order = interleave_by_domain(items, _domain)
    for position in range(1, len(order)):
        if order[position][0] == order[position - 1][0]:
            assert {d for d, _ in order[position:]} == {order[position][0]}


@given(ITEMS)
def test_the_first_round_has_every_domain_once_in_order_of_first_appearance(
    items: list[tuple[str, int]],
) -> None:
    seen = list(dict.fromkeys(d for d, _ in items))
    order = interleave_by_domain(items, _domain)
    assert [d for d, _ in order[: len(seen)]] == seen


def test_a_list_mostly_at_one_provider_sends_that_block_last() -> None:
    items = ["1@big.test", "2@big.test", "3@big.test", "4@big.test", "x@small.test", "y@other.test"]
    assert interleave_by_domain(items, receiving_domain) == [
        "1@big.test",
        "x@small.test",
        "y@other.test",
        "2@big.test",
        "3@big.test",
        "4@big.test",
    ]


def test_the_receiving_domain_is_the_normalized_part_after_the_last_at() -> None:
    assert receiving_domain("<MAILTO:Zoe@Example.ORG>") == "example.org"
    assert receiving_domain('"a@b"@mail.example.org.') == "mail.example.org"
    assert receiving_domain("nobody") == ""
    assert receiving_domain("@example.org") == ""


# --- the pace ----------------------------------------------------------------------------

# Each step: seconds until the sender is ready again, then what the send's outcome was.
STEPS = st.lists(
    st.tuples(st.floats(0, 2, allow_nan=False), st.sampled_from(["sent", "deferred", "failed"])),
    max_size=80,
)


@settings(max_examples=200)
@given(
    steps=STEPS,
    rate=st.floats(0.05, 50, allow_nan=False),
    burst=st.integers(1, 5),
)
def test_no_span_holds_more_slots_than_the_rate_allows(
    steps: list[tuple[float, str]], rate: float, burst: int
) -> None:
    pace = Pace(rate, burst=burst)
    now, slots = 0.0, []
    for pause, outcome in steps:
        now += pause
        wait = pace.reserve("a.test", now)
        assert wait is not None
        assert wait >= 0
        now += wait
        slots.append(now)
        if outcome == "deferred":
            pace.deferred("a.test", now)
        elif outcome == "sent":
            pace.delivered("a.test", now)
    # Slot times never go backwards, and any span [first, last] holds at most rate·t + burst.
    assert slots == sorted(slots)
    for first in range(len(slots)):
        for last in range(first, len(slots)):
            span = slots[last] - slots[first]
            assert last - first + 1 <= rate * span + burst + 1e-6


@given(rate=st.floats(0.2, 100, allow_nan=False), deferrals=st.integers(1, 30))
def test_each_deferral_lengthens_the_interval_down_to_the_floor(
    rate: float, deferrals: int
) -> None:
    pace = Pace(rate)
    now = 0.0
    for _ in range(deferrals):
        before = pace.interval("a.test")
        pace.deferred("a.test", now)
        after = pace.interval("a.test")
        floor = 1 / min(FLOOR_RATE, rate)
        assert after == pytest.approx(min(2 * before, floor)) or after == pytest.approx(floor)
        assert after >= before
        # The next slot is a whole (new) interval after the deferral.
        wait = pace.reserve("a.test", now)
        assert wait is not None
        assert wait >= after - 1e-9
        now += wait
    assert pace.interval("a.test") <= pace.longest_interval("a.test") + 1e-9


@given(rate=st.floats(0.2, 100, allow_nan=False), deferrals=st.integers(1, 10))
def test_deliveries_bring_the_rate_back_a_step_at_a_time_never_above_the_configured(
    rate: float, deferrals: int
) -> None:
    pace = Pace(rate)
    for _ in range(deferrals):
        pace.deferred("a.test", 0.0)
    rates = [pace.rate("a.test")]
    for _ in range(12):
        pace.delivered("a.test", 0.0)
        rates.append(pace.rate("a.test"))
    assert rates == sorted(rates)
    assert rates[-1] == pytest.approx(rate)
    assert all(r <= rate for r in rates)


def test_a_deferral_slows_that_domain_only() -> None:
    pace = Pace(10, {"slow.test": 4})
    pace.deferred("slow.test", 0.0)
    assert pace.rate("slow.test") == 2
    assert pace.rate("fast.test") == 10
    assert pace.reserve("fast.test", 0.0) == 0
    assert pace.reserve("slow.test", 0.0) == pytest.approx(0.5)


def test_a_slot_further_than_allowed_is_not_taken() -> None:
    pace = Pace(1)
    assert pace.reserve("a.test", 0.0) == 0
    assert pace.reserve("a.test", 0.0, within=0.5) is None
    # Nothing was taken: the next slot is still one interval away.
    assert pace.reserve("a.test", 0.0) == pytest.approx(1.0)


def test_many_domains_are_forgotten_once_back_at_their_pace() -> None:
    pace = Pace(1000)
    for n in range(10_000):
        pace.reserve(f"d{n}.test", float(n))
    assert len(pace._domains) <= 4096


def test_rates_are_read_as_domain_equals_rate() -> None:
    assert parse_rates("") == {}
    assert parse_rates(" Gmail.com = 20 , yahoo.com=0.5,") == {"gmail.com": 20, "yahoo.com": 0.5}


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("gmail.com:20", "is not DOMAIN=RATE"),
        ("=20", "is not DOMAIN=RATE"),
        ("a@b.com=2", "is not DOMAIN=RATE"),
        ("gmail.com=fast", "is not a number"),
        ("gmail.com=0", "must be above 0"),
        ("gmail.com=-3", "must be above 0"),
        ("gmail.com=inf", "must be above 0"),
        ("gmail.com=nan", "must be above 0"),
    ],
)
def test_unreadable_rates_say_which_entry_and_why(text: str, said: str) -> None:
    with pytest.raises(RatesError, match=said):
        parse_rates(text)


# --- the paced mailer --------------------------------------------------------------------


class Clock:
    """A monotonic clock that moves only when the mailer sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


class Relay(Mailer):
    """Takes mail at the clock's time; answers 451 to the first ``defer`` copies for a domain."""

    def __init__(self, clock: Clock, defer: dict[str, int] | None = None) -> None:
        self.clock = clock
        self.defer = dict(defer or {})
        self.attempts: list[tuple[str, float]] = []
        self.taken: list[str] = []
        self.down = False

    def send(self, mail: OutgoingMail) -> str:
        self.attempts.append((mail.recipient, self.clock.now))
        if self.down:
            cause: Exception = ConnectionRefusedError(111, "Connection refused")
            raise TemporaryDeliveryError("connection refused") from cause
        domain = receiving_domain(mail.recipient)
        if self.defer.get(domain, 0) > 0:
            self.defer[domain] -= 1
            refused = smtplib.SMTPRecipientsRefused({mail.recipient: (451, b"4.7.1 slow down")})
            raise TemporaryDeliveryError("451 4.7.1 slow down") from refused
        if mail.recipient.startswith("nobody@"):
            cause = smtplib.SMTPRecipientsRefused({mail.recipient: (550, b"no such user")})
            raise PermanentDeliveryError("550 no such user") from cause
        self.taken.append(mail.recipient)
        return f"relay #{len(self.taken)}"


def _mail(recipient: str) -> OutgoingMail:
    return OutgoingMail(
        f"<{recipient}>", "bounces@cis.test", recipient, b"Subject: hi\r\n\r\nhi\r\n"
    )


def _attempt_times(relay: Relay, domain: str) -> list[float]:
    return [t for r, t in relay.attempts if receiving_domain(r) == domain]


def test_each_domain_is_sent_at_its_own_rate() -> None:
    clock = Clock()
    relay = Relay(clock)
    mailer = PacedMailer(relay, Pace(10, {"b.test": 2}), clock=clock, sleep=clock.sleep)
    for n in range(4):
        mailer.send(_mail(f"{n}@a.test"))
        mailer.send(_mail(f"{n}@b.test"))
    assert len(relay.taken) == 8
    b = _attempt_times(relay, "b.test")
    assert [y - x for x, y in itertools.pairwise(b)] == pytest.approx([0.5, 0.5, 0.5])
    # a.test's slots come every 0.1 s; waiting for b.test's spaced them further, never closer.
    a = _attempt_times(relay, "a.test")
    assert all(y - x >= 0.1 - 1e-9 for x, y in itertools.pairwise(a))


def test_a_deferral_spaces_that_domains_later_sends_further_and_is_raised_unchanged() -> None:
    clock = Clock()
    relay = Relay(clock, defer={"slow.test": 2})
    pace = Pace(10)
    mailer = PacedMailer(relay, pace, clock=clock, sleep=clock.sleep)
    raised: list[TemporaryDeliveryError] = []
    for n in range(5):
        for domain in ("slow.test", "fast.test"):
            try:
                mailer.send(_mail(f"{n}@{domain}"))
            except TemporaryDeliveryError as error:
                raised.append(error)
    # The mailer's own error, unchanged: the sender records it as before (pending).
    assert [e.reason for e in raised] == ["451 4.7.1 slow down"] * 2
    assert all(isinstance(e.__cause__, smtplib.SMTPRecipientsRefused) for e in raised)
    assert sorted(r for r in relay.taken if r.endswith("fast.test")) == [
        f"{n}@fast.test" for n in range(5)
    ]
    slow = _attempt_times(relay, "slow.test")
    gaps = [y - x for x, y in itertools.pairwise(slow)]
    assert gaps[0] == pytest.approx(0.2)  # one deferral: half the rate
    assert gaps[1] == pytest.approx(0.4)  # two: a quarter
    assert all(g > 0.1 for g in gaps)
    assert pace.rate("slow.test") > 2.5  # the deliveries since brought it back up a little
    assert pace.rate("fast.test") == 10


def test_a_relay_that_is_down_or_a_refused_address_costs_no_pace() -> None:
    clock = Clock()
    relay = Relay(clock)
    pace = Pace(10)
    mailer = PacedMailer(relay, pace, clock=clock, sleep=clock.sleep)
    relay.down = True
    for n in range(3):
        with pytest.raises(TemporaryDeliveryError, match="refused"):
            mailer.send(_mail(f"{n}@a.test"))
    relay.down = False
    with pytest.raises(PermanentDeliveryError):
        mailer.send(_mail("nobody@a.test"))
    assert pace.rate("a.test") == 10


def test_one_sender_at_the_floor_waits_its_slots_and_is_never_turned_away() -> None:
    clock = Clock()
    relay = Relay(clock)
    pace = Pace(10)
    mailer = PacedMailer(relay, pace, clock=clock, sleep=clock.sleep)
    for _ in range(8):
        pace.deferred("a.test", 0.0)
    for n in range(3):
        mailer.send(_mail(f"{n}@a.test"))
    assert len(relay.taken) == 3
    assert clock.now <= 3 * pace.longest_interval("a.test")


def test_a_slot_beyond_the_longest_wait_leaves_the_send_pending_unsent() -> None:
    clock = Clock()
    relay = Relay(clock)
    pace = Pace(10)
    mailer = PacedMailer(relay, pace, clock=clock, sleep=clock.sleep)
    for _ in range(8):
        pace.deferred("a.test", 0.0)  # down to the floor: one send per 10 s
    for _ in range(2):
        pace.reserve("a.test", 0.0)  # other threads took the next slots
    with pytest.raises(TemporaryDeliveryError, match=r"slowed down.*pending for the next retry"):
        mailer.send(_mail("z@a.test"))
    assert relay.attempts == []
    assert clock.now == 0.0  # and nobody waited for it


# --- the order sends reach the mailer in ---------------------------------------------------


def test_a_list_and_the_fan_out_of_its_update_go_round_robin_over_domains() -> None:
    service = new_service()
    mailer = service.container.mailer()
    assert isinstance(mailer, KeptMail)
    invite = str(deliver(service, request()).invite)
    people = ["1@big.test", "2@big.test", "3@big.test", "x@small.test", "y@other.test"]
    results = service.send(invite, [Recipient(p, origin="bulk") for p in people], now=at(1))
    assert {r.outcome for r in results} == {SendOutcome.SENT}
    expected = ["1@big.test", "x@small.test", "y@other.test", "2@big.test", "3@big.test"]
    assert [m.recipient for m in mailer.sent] == expected
    del mailer.sent[:]
    deliver(service, request(sequence=1, summary="Moved"), now=at(2))
    assert [m.recipient for m in mailer.sent] == expected


# --- settings and wiring -----------------------------------------------------------------


def test_the_smtp_mailer_is_paced_as_configured_and_the_outbox_is_not() -> None:
    smtp = Settings(backend="memory", mailer="smtp", domain_rate=5, domain_rates="gmail.com=20")
    mailer = bootstrap(smtp).mailer()
    assert isinstance(mailer, PacedMailer)
    assert isinstance(mailer.inner, SmtpMailer)
    assert (mailer.pace.configured("gmail.com"), mailer.pace.configured("x.test")) == (20, 5)
    assert Settings().domain_rate == 10
    unpaced = Settings(backend="memory", mailer="smtp", domain_rate=0)
    assert isinstance(bootstrap(unpaced).mailer(), SmtpMailer)
    outbox = Settings(backend="memory", mailer="outbox")
    assert isinstance(bootstrap(outbox).mailer(), OutboxFolderMailer)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"domain_rates": "gmail.com:20"}, "CIS_DOMAIN_RATES: 'gmail.com:20' is not DOMAIN=RATE"),
        ({"domain_rates": "gmail.com=0"}, "CIS_DOMAIN_RATES: the rate of gmail.com must be"),
        ({"domain_rate": -1}, "CIS_DOMAIN_RATE: Input should be greater than or equal to 0"),
        ({"domain_rate": math.inf}, "CIS_DOMAIN_RATE: Input should be a finite number"),
    ],
)
def test_unusable_pacing_settings_are_refused_naming_the_variable(
    fields: dict[str, object], said: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**fields)  # type: ignore[arg-type]
    told = explain(refused.value, None)
    assert said in told
    assert told.startswith("invalid settings: ")
