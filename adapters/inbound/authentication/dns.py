"""DNS for sender checks: the Resolver interface, SystemResolver (dnspython), ZoneResolver.

The interface and its errors live in ``resolver``, the table-backed resolver in ``zone``; both
are re-exported here so ``dns`` is the one place callers import DNS from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dns.exception
import dns.name
import dns.resolver

from adapters.inbound.authentication.resolver import (
    DnsError,
    DnsTemporaryFailure,
    NoRecords,
    NoSuchDomain,
    Resolver,
    canonical_name,
)
from adapters.inbound.authentication.zone import SERVFAIL, ZoneResolver

__all__ = [
    "SERVFAIL",
    "DnsError",
    "DnsTemporaryFailure",
    "NoRecords",
    "NoSuchDomain",
    "Resolver",
    "SystemResolver",
    "ZoneResolver",
    "canonical_name",
]


# Malformed names cannot exist, so they answer as NXDOMAIN rather than as a server problem.
_BAD_NAME = (dns.exception.SyntaxError, dns.name.NameTooLong, dns.name.IDNAException)


class SystemResolver:
    """Answers from the configured (or given) DNS servers through dnspython, with short timeouts."""

    def __init__(
        self,
        *,
        timeout: float = 2.0,
        lifetime: float | None = None,
        nameservers: Sequence[str] | None = None,
        port: int = 53,
    ) -> None:
        self._problem: str | None = None
        self._resolver = dns.resolver.Resolver(configure=False)
        try:
            if nameservers:
                self._resolver.nameservers = list(nameservers)
                self._resolver.port = port
            else:
                self._resolver = dns.resolver.Resolver(configure=True)
        except dns.exception.DNSException as error:
            # No resolv.conf must not stop the service: every lookup becomes a temperror.
            self._problem = f"no DNS configuration: {error}"
        self._resolver.timeout = timeout
        # The lifetime bounds one lookup with its retries; by default, the same as one try.
        self._resolver.lifetime = timeout if lifetime is None else lifetime

    def _ask(self, name: str, rdtype: str, read: Callable[[Any], Any]) -> list[Any]:
        if self._problem:
            raise DnsTemporaryFailure(self._problem)
        try:
            answer = self._resolver.resolve(canonical_name(name) + ".", rdtype, search=False)
        except dns.resolver.NXDOMAIN as error:
            raise NoSuchDomain(f"{name}: no such domain") from error
        except dns.resolver.NoAnswer as error:
            raise NoRecords(f"{name}: no {rdtype} records") from error
        except _BAD_NAME as error:
            raise NoSuchDomain(f"{name!r}: not a valid name") from error
        except dns.exception.DNSException as error:
            raise DnsTemporaryFailure(f"{name} {rdtype}: {type(error).__name__}") from error
        return [read(rdata) for rdata in answer]

    def txt(self, name: str) -> list[bytes]:
        """Return each TXT record, its strings joined."""
        return self._ask(name, "TXT", lambda r: b"".join(r.strings))

    def a(self, name: str) -> list[str]:
        """Return the IPv4 addresses."""
        return self._ask(name, "A", lambda r: str(r.address))

    def aaaa(self, name: str) -> list[str]:
        """Return the IPv6 addresses."""
        return self._ask(name, "AAAA", lambda r: str(r.address))

    def mx(self, name: str) -> list[tuple[int, str]]:
        """Return (preference, exchange) pairs."""
        return self._ask(
            name, "MX", lambda r: (int(r.preference), r.exchange.to_text(omit_final_dot=True))
        )

    def ptr(self, name: str) -> list[str]:
        """Return the names a reverse name points to."""
        return self._ask(name, "PTR", lambda r: r.target.to_text(omit_final_dot=True).lower())
