"""The cost bound of one verification: a deadline and a number of DNS lookups."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from adapters.inbound.authentication.dns import DnsTemporaryFailure, Resolver

T = TypeVar("T")


class BudgetExhausted(DnsTemporaryFailure):
    """The verification ran out of time or lookups; what is left unchecked is a temperror."""


class Budget:
    """A deadline on the monotonic clock plus a lookup allowance, spent by one message."""

    def __init__(self, seconds: float, max_lookups: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.lookups_left = max_lookups

    def expired(self) -> bool:
        """Return whether the time is up."""
        return time.monotonic() >= self.deadline

    def spend_lookup(self) -> None:
        """Take one lookup from the allowance, or raise BudgetExhausted."""
        if self.expired():
            raise BudgetExhausted("time budget exhausted")
        if self.lookups_left <= 0:
            raise BudgetExhausted("DNS lookup budget exhausted")
        self.lookups_left -= 1


class BudgetedResolver:
    """A Resolver that charges every lookup to a Budget before asking the real one."""

    def __init__(self, inner: Resolver, budget: Budget) -> None:
        self._inner = inner
        self._budget = budget

    def _ask(self, lookup: Callable[[str], T], name: str) -> T:
        # A slow server can overrun the deadline by at most one lookup's own timeout.
        self._budget.spend_lookup()
        return lookup(name)

    def txt(self, name: str) -> list[bytes]:
        """Return each TXT record, its strings joined."""
        return self._ask(self._inner.txt, name)

    def a(self, name: str) -> list[str]:
        """Return the IPv4 addresses."""
        return self._ask(self._inner.a, name)

    def aaaa(self, name: str) -> list[str]:
        """Return the IPv6 addresses."""
        return self._ask(self._inner.aaaa, name)

    def mx(self, name: str) -> list[tuple[int, str]]:
        """Return (preference, exchange) pairs."""
        return self._ask(self._inner.mx, name)

    def ptr(self, name: str) -> list[str]:
        """Return the names a reverse name points to."""
        return self._ask(self._inner.ptr, name)
