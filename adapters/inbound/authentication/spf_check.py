"""SPF: may the connecting host send for the envelope sender's domain (pyspf over a Resolver)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import reduce
from typing import Any

import spf

from adapters.inbound.authentication.dns import (
    DnsTemporaryFailure,
    NoRecords,
    Resolver,
    canonical_name,
)
from adapters.inbound.authentication.headers import domain_of

RESULTS = frozenset({"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"})


@dataclass(frozen=True)
class SpfOutcome:
    """The SPF result, the domain it is about (the alignment candidate) and why."""

    result: str = "none"
    domain: str | None = None
    detail: str | None = None


class _ResolverQuery(spf.query):  # type: ignore[misc]
    """pyspf's query with its DNS answered by a Resolver instead of the module-level lookup."""

    def __init__(self, resolver: Resolver, **arguments: Any) -> None:
        self._resolver = resolver
        super().__init__(**arguments)

    def _answers(self, name: str, qtype: str) -> list[Any]:
        # The shapes pyspf's own dnspython driver returns: TXT as a list of byte strings per
        # record, addresses and PTR names as text, MX as (preference, exchange).
        if qtype == "TXT":
            return [[record] for record in self._resolver.txt(name)]
        if qtype in ("A", "AAAA"):
            return self._resolver.a(name) if qtype == "A" else self._resolver.aaaa(name)
        if qtype == "MX":
            return self._resolver.mx(name)
        if qtype == "PTR":
            return self._resolver.ptr(name)
        return []  # type 99 (SPF) is obsolete; pyspf asks for it only in its harsh mode

    def dns(
        self, name: str, qtype: str, cnames: Any = None, ignore_void: bool = False
    ) -> list[Any]:
        """Answer one lookup for pyspf, cached per query, counting void lookups as it does."""
        name = canonical_name(str(name))
        valid = reduce(lambda ok, label: ok and 0 < len(label) < 64, name.split("."), True)
        if not name or not valid:
            return []
        key = (name, qtype)
        if key not in self.cache:
            try:
                self.cache[key] = self._answers(name, qtype)
            except NoRecords:
                self.cache[key] = []
            except DnsTemporaryFailure as error:
                raise spf.TempError(f"DNS {error}") from error
        result: list[Any] = self.cache[key]
        if not result and not ignore_void:
            self.void_lookups += 1
            if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
        return result


def check_spf(
    resolver: Resolver, *, envelope_from: str | None, client_ip: str | None, helo: str | None
) -> SpfOutcome:
    """Evaluate SPF for the envelope sender (or postmaster@HELO for a null sender); never raise."""
    sender = (envelope_from or "").strip().strip("<>")
    if not sender and helo:
        sender = f"postmaster@{canonical_name(helo)}"
    domain = domain_of(sender) if "@" in sender else None
    if not client_ip:
        return SpfOutcome("none", domain, "SPF not checked: no connecting address was known")
    if domain is None:
        return SpfOutcome("none", None, "SPF not checked: no envelope sender or HELO domain")
    try:
        address = str(ipaddress.ip_address(client_ip.strip()))
    except ValueError:
        return SpfOutcome("none", domain, f"SPF not checked: {client_ip[:64]!r} is no IP address")
    try:
        query = _ResolverQuery(resolver, i=address, s=sender, h=helo or domain)
        result, _code, explanation = query.check()
    except Exception as error:  # a record pyspf cannot digest must not stop the other checks
        return SpfOutcome("permerror", domain, f"SPF not evaluated ({type(error).__name__})")
    result = str(result).lower()
    if result not in RESULTS:
        return SpfOutcome("permerror", domain, f"unexpected SPF result {result!r}")
    return SpfOutcome(result, domain, str(explanation)[:160] or None)
