"""Pacing per receiving domain: the order a list is sent in, and how fast each domain is mailed.

Mailbox providers throttle a sender per their own domain: a list of thousands at one provider,
sent as fast as the relay takes it, earns deferrals (4xx) and then a reputation. So a send
spreads over the receiving domains (:func:`interleave_by_domain`), and each domain has a pace
(:class:`Pace`): a rate in sends per second, halved at every deferral down to a floor, and
raised again a step at a time by each delivery (AIMD, as TCP does with its window).

Pure: time comes in as seconds on the caller's monotonic clock; nothing here waits.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from domain.identity import normalize_address

T = TypeVar("T")

# The slowest a deferring domain is paced, unless configured slower: one message per 10 s.
# A domain that still defers at that pace is the retries' business, not the pace's.
FLOOR_RATE = 0.1
# Deliveries that bring a halved rate back up by the configured rate: an additive step.
RECOVERY_STEPS = 10
# Past this many domains known, those back at their configured pace are forgotten (a
# million-recipient list must not keep a million states).
_KEEP = 4096


def receiving_domain(address: str) -> str:
    """Return the domain an address is delivered to, lower-cased ("" when it names none)."""
    local, at, domain = normalize_address(address).rpartition("@")
    return domain.rstrip(".") if at and local else ""


def interleave_by_domain(items: Iterable[T], domain_of: Callable[[T], str]) -> list[T]:
    """Return ``items`` in rounds, one of each domain per round (domains in order of first
    appearance; each domain's items in their own order).

    So no domain's block is sent all at once: a domain follows itself only once every other
    domain's items are all placed.
    """
    queues: dict[str, deque[T]] = {}
    for item in items:
        queues.setdefault(domain_of(item), deque()).append(item)
    order: list[T] = []
    while queues:
        # Each round places one item per remaining domain: linear in all.
        for domain in list(queues):
            waiting = queues[domain]
            order.append(waiting.popleft())
            if not waiting:
                del queues[domain]
    return order


class RatesError(ValueError):
    """A per-domain rate setting that cannot be read; the message says which part and why."""


def parse_rates(text: str) -> dict[str, float]:
    """Return the per-domain rates of ``domain=rate,domain=rate`` (sends per second).

    Raises :class:`RatesError` naming the first entry that is not a domain and a positive,
    finite number.
    """
    rates: dict[str, float] = {}
    for entry in text.split(","):
        if not entry.strip():
            continue
        name, equals, value = entry.partition("=")
        domain = name.strip().lower().rstrip(".")
        if not equals or not _domain_like(domain):
            raise RatesError(
                f"{entry.strip()!r} is not DOMAIN=RATE (for example gmail.com=20,yahoo.com=5)"
            )
        try:
            rate = float(value)
        except ValueError:
            raise RatesError(f"the rate of {domain} ({value.strip()!r}) is not a number") from None
        if not (math.isfinite(rate) and rate > 0):
            raise RatesError(f"the rate of {domain} must be above 0 sends per second")
        rates[domain] = rate
    return rates


def _domain_like(name: str) -> bool:
    return (
        bool(name)
        and len(name) <= 253
        and all(part and len(part) <= 63 for part in name.split("."))
        and not any(c.isspace() or c in "@=,/\\" for c in name)
    )


@dataclass
class _DomainPace:
    ceiling: float  # the configured rate
    rate: float  # the rate now, between the floor and the ceiling
    due: float  # when the next send may go, at the latest of the reservations made


class Pace:
    """Each receiving domain's send slots, at its configured rate less what deferrals cost.

    A slot is reserved before a send (:meth:`reserve`); a deferral (:meth:`deferred`) halves
    that domain's rate, not below the floor, and puts its next slot one (new) interval away;
    each delivery (:meth:`delivered`) adds back a tenth of the configured rate. At any rate the
    slots of a domain in any span of ``t`` seconds number at most ``configured rate * t +
    burst``. Not thread-safe: the caller serializes its calls.
    """

    def __init__(
        self, rate: float, rates: Mapping[str, float] | None = None, *, burst: int = 1
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise RatesError("the rate per receiving domain must be above 0 sends per second")
        self.default = rate
        self.rates = {domain.lower(): value for domain, value in (rates or {}).items()}
        self.burst = max(1, burst)
        self._domains: dict[str, _DomainPace] = {}

    def configured(self, domain: str) -> float:
        """Return the rate configured for ``domain`` (its own, else the default)."""
        return self.rates.get(domain, self.default)

    def floor(self, domain: str) -> float:
        """Return the slowest ``domain`` is ever paced: the floor, or its rate if slower."""
        return min(FLOOR_RATE, self.configured(domain))

    def rate(self, domain: str) -> float:
        """Return ``domain``'s rate now, in sends per second."""
        known = self._domains.get(domain)
        return known.rate if known is not None else self.configured(domain)

    def interval(self, domain: str) -> float:
        """Return the seconds between two sends to ``domain`` at its rate now."""
        return 1.0 / self.rate(domain)

    def longest_interval(self, domain: str) -> float:
        """Return the seconds between two sends to ``domain`` at its floor: the longest."""
        return 1.0 / self.floor(domain)

    def reserve(self, domain: str, now: float, within: float = math.inf) -> float | None:
        """Take ``domain``'s next slot if it comes within ``within`` seconds of ``now``; return
        the seconds until it (0: at once), or None and take nothing when it is further."""
        state = self._state(domain, now)
        # Fixed by the configured rate: a slowed domain's bursts never grow (GCRA's tolerance).
        tolerance = (self.burst - 1) / state.ceiling
        slot = max(now, state.due - tolerance)
        # A hair of slack: a slot one longest interval away must not miss it by rounding.
        if slot - now > within + 1e-9:
            return None
        state.due = max(state.due, now) + 1.0 / state.rate
        return slot - now

    def deferred(self, domain: str, now: float) -> None:
        """A send to ``domain`` was deferred (4xx): halve its rate, push its next slot away."""
        state = self._state(domain, now)
        state.rate = max(self.floor(domain), state.rate / 2)
        tolerance = (self.burst - 1) / state.ceiling
        state.due = max(state.due, now + tolerance + 1.0 / state.rate)

    def delivered(self, domain: str, now: float) -> None:
        """A send to ``domain`` was taken: bring its rate a step back towards the configured."""
        state = self._state(domain, now)
        state.rate = min(state.ceiling, state.rate + state.ceiling / RECOVERY_STEPS)

    def _state(self, domain: str, now: float) -> _DomainPace:
        known = self._domains.get(domain)
        if known is not None:
            return known
        if len(self._domains) >= _KEEP:
            # A domain at full rate whose slot is past is as good as one never seen.
            self._domains = {
                name: state
                for name, state in self._domains.items()
                if state.rate < state.ceiling or state.due > now
            }
        ceiling = self.configured(domain)
        fresh = _DomainPace(ceiling=ceiling, rate=ceiling, due=now)
        self._domains[domain] = fresh
        return fresh
