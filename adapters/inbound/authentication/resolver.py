"""What sender verification asks of DNS: the Resolver interface and its errors."""

from __future__ import annotations

from typing import Protocol


class DnsError(Exception):
    """A lookup gave no answer; the subclass says whether asking again could help."""


class NoRecords(DnsError):
    """The name exists but has no records of the type asked for (NOERROR, no answer)."""


class NoSuchDomain(NoRecords):
    """The name does not exist (NXDOMAIN), or is not a valid DNS name."""


class DnsTemporaryFailure(DnsError):
    """No verdict now (timeout, SERVFAIL, no reachable server): asking later may answer."""


class Resolver(Protocol):
    """The lookups sender verification needs; each raises a DnsError instead of answering empty."""

    def txt(self, name: str) -> list[bytes]:
        """Return each TXT record, its strings joined."""

    def a(self, name: str) -> list[str]:
        """Return the IPv4 addresses."""

    def aaaa(self, name: str) -> list[str]:
        """Return the IPv6 addresses."""

    def mx(self, name: str) -> list[tuple[int, str]]:
        """Return (preference, exchange) pairs."""

    def ptr(self, name: str) -> list[str]:
        """Return the names a reverse (in-addr/ip6.arpa) name points to."""


def canonical_name(name: str) -> str:
    """Return ``name`` as compared: lower case, no trailing dot."""
    return name.strip().rstrip(".").lower()
