"""DMARC (RFC 7489): the From domain's published policy, and whether a passing check aligns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from adapters.inbound.authentication.alignment import aligned, organizational_domain
from adapters.inbound.authentication.dns import DnsTemporaryFailure, NoRecords, Resolver
from domain.authentication import DkimSignature


@dataclass(frozen=True)
class DmarcPolicy:
    """What ``_dmarc.<domain>`` says: where the record was, ``p=``, and strict alignment modes."""

    record: str | None = None  # the name the record was found at; None when there is none
    policy: str | None = None
    strict_dkim: bool = False
    strict_spf: bool = False
    problem: str | None = None  # set when the lookup failed temporarily


@dataclass(frozen=True)
class Verdict:
    """DMARC's answer for one message."""

    aligned: bool
    aligned_by: str | None
    dmarc: str
    detail: str | None = None


def _tags(record: bytes) -> dict[str, str]:
    text = record.decode("ascii", "replace")
    pairs = (spec.partition("=") for spec in text.split(";"))
    return {key.strip().lower(): value.strip() for key, _, value in pairs if key.strip()}


def lookup_policy(resolver: Resolver, from_domain: str) -> DmarcPolicy:
    """Find the DMARC record at the From domain, else at its organizational domain (6.6.3)."""
    organization = organizational_domain(from_domain)
    for domain in dict.fromkeys((from_domain, organization)):
        name = f"_dmarc.{domain}"
        try:
            records = [_tags(r) for r in resolver.txt(name)]
        except NoRecords:
            continue
        except DnsTemporaryFailure as error:
            # Unknown modes: align strictly, which holds under any policy.
            return DmarcPolicy(strict_dkim=True, strict_spf=True, problem=str(error))
        found = [tags for tags in records if tags.get("v") == "DMARC1"]
        if len(found) != 1:
            continue  # none, or several (which RFC 7489 says to treat as none)
        tags = found[0]
        # sp= is the policy for subdomains, when the record is the organization's.
        use_sp = domain != from_domain and "sp" in tags
        return DmarcPolicy(
            record=name,
            policy=tags.get("sp") if use_sp else tags.get("p"),
            strict_dkim=tags.get("adkim", "r").lower() == "s",
            strict_spf=tags.get("aspf", "r").lower() == "s",
        )
    return DmarcPolicy()


def aligned_by(
    from_domain: str,
    signatures: Iterable[DkimSignature],
    spf_result: str,
    spf_domain: str | None,
    policy: DmarcPolicy,
) -> str | None:
    """Return ``dkim <d>`` or ``spf <domain>`` for the first passing aligned check, else None."""
    for signature in signatures:
        if signature.result == "pass" and aligned(
            signature.domain, from_domain, strict=policy.strict_dkim
        ):
            return f"dkim {signature.domain}"
    if (
        spf_result == "pass"
        and spf_domain
        and aligned(spf_domain, from_domain, strict=policy.strict_spf)
    ):
        return f"spf {spf_domain}"
    return None


def verdict(
    resolver: Resolver,
    from_domain: str,
    signatures: Iterable[DkimSignature],
    spf_result: str,
    spf_domain: str | None,
) -> Verdict:
    """Look the policy up and decide alignment: pass, fail (record, not aligned) or none."""
    policy = lookup_policy(resolver, from_domain)
    by = aligned_by(from_domain, signatures, spf_result, spf_domain, policy)
    if policy.problem:
        note = f"DMARC record lookup failed ({policy.problem}); alignment checked strictly"
        return Verdict(by is not None, by, "pass" if by else "temperror", note)
    if policy.record is None:
        return Verdict(by is not None, by, "pass" if by else "none", "no DMARC record")
    modes = f"adkim={'s' if policy.strict_dkim else 'r'} aspf={'s' if policy.strict_spf else 'r'}"
    note = f"DMARC p={policy.policy or '?'} {modes} at {policy.record}"
    return Verdict(by is not None, by, "pass" if by else "fail", note)
