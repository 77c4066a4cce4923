"""The SenderVerifier: a trusted MTA's verdict when there is one, else DKIM, SPF and DMARC here."""

from __future__ import annotations

import logging

from adapters.inbound.authentication.budget import Budget, BudgetedResolver
from adapters.inbound.authentication.dkim_check import verify_signatures
from adapters.inbound.authentication.dmarc import verdict
from adapters.inbound.authentication.dns import Resolver
from adapters.inbound.authentication.headers import from_domain, read_headers
from adapters.inbound.authentication.spf_check import check_spf
from adapters.inbound.authentication.trusted import read_trusted
from application.ports import SenderVerifier
from domain.authentication import SenderAuthentication

_LOG = logging.getLogger(__name__)
THIS_SERVER = "this server"


class MailAuthenticator(SenderVerifier):
    """Verifies senders within a bound: signatures checked, DNS lookups, and wall time."""

    def __init__(
        self,
        resolver: Resolver,
        *,
        trusted_authserv_ids: frozenset[str] = frozenset(),
        max_signatures: int = 5,
        budget_seconds: float = 10.0,
        max_lookups: int = 40,
    ) -> None:
        self._resolver = resolver
        self._trusted = frozenset(i.strip().rstrip(".").lower() for i in trusted_authserv_ids)
        self._max_signatures = max(0, max_signatures)
        self._budget_seconds = budget_seconds
        self._max_lookups = max_lookups

    def verify(
        self,
        raw: bytes,
        *,
        envelope_from: str | None,
        client_ip: str | None = None,
        helo: str | None = None,
    ) -> SenderAuthentication:
        """Return what verification says of ``raw``'s sender; never raise."""
        try:
            return self._verify(raw, envelope_from=envelope_from, client_ip=client_ip, helo=helo)
        except Exception as error:  # the port promises a verdict, whatever the input
            _LOG.exception("sender verification failed")
            return SenderAuthentication(
                checked_by=THIS_SERVER,
                dmarc="temperror",
                detail=f"verification failed ({type(error).__name__})",
            )

    def _verify(
        self, raw: bytes, *, envelope_from: str | None, client_ip: str | None, helo: str | None
    ) -> SenderAuthentication:
        headers = read_headers(raw)
        domain, from_problem = from_domain(headers)
        reported, why_not = read_trusted(headers, self._trusted, domain, from_problem)
        if reported is not None:
            return reported
        budget = Budget(self._budget_seconds, self._max_lookups)
        resolver = BudgetedResolver(self._resolver, budget)
        dkim = verify_signatures(raw, headers, resolver, budget, limit=self._max_signatures)
        spf = check_spf(resolver, envelope_from=envelope_from, client_ip=client_ip, helo=helo)
        notes = [note for note in (from_problem, why_not, spf.detail) if note]
        if dkim.unchecked:
            notes.append(f"{dkim.unchecked} further DKIM signatures not checked")
        aligned_by, dmarc = None, "none"
        if domain is not None:
            decided = verdict(resolver, domain, dkim.signatures, spf.result, spf.domain)
            aligned_by, dmarc = decided.aligned_by, decided.dmarc
            notes.extend([decided.detail] if decided.detail else [])
        return SenderAuthentication(
            checked_by=THIS_SERVER,
            from_domain=domain,
            aligned=aligned_by is not None,
            aligned_by=aligned_by,
            dkim=dkim.signatures,
            spf=spf.result,
            spf_domain=spf.domain,
            dmarc=dmarc,
            detail="; ".join(notes) or None,
        )
