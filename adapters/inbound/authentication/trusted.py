"""Behind a trusted MTA: its topmost Authentication-Results header stands for the checks."""

from __future__ import annotations

from email.message import Message

from adapters.inbound.authentication.dmarc import DmarcPolicy, aligned_by
from adapters.inbound.authentication.headers import domain_of
from adapters.inbound.authentication.results_header import ResultsHeader, topmost
from domain.authentication import DkimSignature, SenderAuthentication

SPF_RESULTS = frozenset({"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"})
MAX_REPORTED_SIGNATURES = 10


def _signatures(header: ResultsHeader) -> tuple[DkimSignature, ...]:
    found = []
    for clause in header.clauses:
        if clause.method != "dkim" or clause.result == "none":
            continue
        props = clause.properties
        domain = domain_of(props.get("header.d")) or domain_of(props.get("header.i")) or ""
        found.append(
            DkimSignature(
                domain=domain,
                result=clause.result,
                selector=props.get("header.s"),
                detail=f"reported by {header.authserv_id}",
            )
        )
    return tuple(found[:MAX_REPORTED_SIGNATURES])


def _spf(header: ResultsHeader) -> tuple[str, str | None]:
    clause = header.first("spf")
    if clause is None:
        return "none", None
    result = "fail" if clause.result == "hardfail" else clause.result
    # SES names the envelope sender in a clause of its own rather than as smtp.mailfrom.
    ses = header.first("envelope-from")
    domain = (
        domain_of(clause.properties.get("smtp.mailfrom"))
        or domain_of(clause.properties.get("smtp.helo"))
        or domain_of(ses.result if ses else None)
    )
    return (result if result in SPF_RESULTS else "permerror"), domain


def read_trusted(
    headers: Message,
    trusted: frozenset[str],
    from_domain: str | None,
    from_problem: str | None,
) -> tuple[SenderAuthentication | None, str | None]:
    """Return the verdict of a trusted topmost header, or (None, why the header is not used).

    Alignment is computed here against the message's own From domain, relaxed; a reported
    DMARC result counts only when its ``header.from`` is that domain (a fail then overrides).
    """
    if not trusted:
        return None, None
    header, problem = topmost(headers)
    if header is None:
        return None, problem
    if header.authserv_id not in trusted:
        return None, f"topmost Authentication-Results is from untrusted {header.authserv_id}"
    signatures = _signatures(header)
    spf_result, spf_domain = _spf(header)
    notes = [from_problem] if from_problem else []
    by = None
    dmarc = "none"
    if from_domain is not None:
        by = aligned_by(from_domain, signatures, spf_result, spf_domain, DmarcPolicy())
        clause = header.first("dmarc")
        reported = domain_of(clause.properties.get("header.from")) if clause else None
        if clause and reported == from_domain:
            dmarc = clause.result
            if dmarc == "fail":
                by = None  # the MTA knew the policy's strict modes; its fail outranks ours
            elif dmarc == "pass" and by is None:
                by = f"dmarc {from_domain}"
        else:
            if clause:
                notes.append(f"reported DMARC for {reported or 'no domain'} ignored")
            dmarc = "pass" if by else "none"
    return (
        SenderAuthentication(
            checked_by=header.authserv_id,
            from_domain=from_domain,
            aligned=by is not None,
            aligned_by=by,
            dkim=signatures,
            spf=spf_result,
            spf_domain=spf_domain,
            dmarc=dmarc,
            detail="; ".join(notes) or None,
        ),
        None,
    )
