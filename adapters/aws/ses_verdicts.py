"""Who SES says an inbound message is from: its receipt verdicts, read as a SenderAuthentication.

SES checked SPF, DKIM and DMARC on receipt; its "Received" notification carries the verdicts
and the headers, its own ``Authentication-Results`` topmost. Pure parsing: a missing or
malformed field gives an unaligned verdict and a reason, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from email.utils import getaddresses
from typing import Any

from adapters.inbound.authentication.alignment import aligned, normalize_domain
from domain.authentication import DkimSignature, SenderAuthentication

Json = Mapping[str, Any]
Headers = Sequence[tuple[str, str]]  # (lower-cased name, value), topmost first

CHECKED_BY = "SES receipt"
SES_AUTHSERV_ID = "amazonses.com"
# SES's verdict statuses as Authentication-Results result words (RFC 8601).
_RESULTS = {"PASS": "pass", "FAIL": "fail", "GRAY": "none", "PROCESSING_FAILED": "temperror"}
_DKIM_RESULTS = {**_RESULTS, "GRAY": "neutral"}  # a signature that exists is never "none"
_COMMENT = re.compile(r"\([^()]*\)")
_OVERALL = "no per-signature result in the notification: this is SES's overall DKIM verdict"
_UNATTRIBUTED = "SES's overall DKIM verdict is PASS but does not say which signature passed"


def authentication_of(notification: Json) -> SenderAuthentication:
    """Return SES's verdict on who the message of an SES "Received" notification is from."""
    notes: list[str] = []
    mail, receipt = _part(notification, "mail", notes), _part(notification, "receipt", notes)
    headers = list(_headers(mail))
    from_domain = _from_domain(mail, headers, notes)
    spf = _verdict(receipt, "spfVerdict", _RESULTS, notes) or "none"
    dmarc = _verdict(receipt, "dmarcVerdict", _RESULTS, notes) or "none"
    dkim = _ses_dkim(headers)
    if dkim is None:
        dkim = _signed_dkim(headers, _verdict(receipt, "dkimVerdict", _DKIM_RESULTS, notes))
        notes += [f"DKIM: {dkim[0].detail}"] if dkim else []
    if dmarc != "pass" and isinstance(policy := receipt.get("dmarcPolicy"), str) and policy:
        notes.append(f"the From domain's DMARC policy is {policy}")
    found = SenderAuthentication(
        CHECKED_BY,
        from_domain,
        dkim=dkim,
        spf=spf,
        spf_domain=_domain(str(mail.get("source") or "")),
        dmarc=dmarc,
        detail="; ".join(notes) or None,
    )
    by = _aligned_by(found)
    return replace(found, aligned=by is not None, aligned_by=by)


def _aligned_by(found: SenderAuthentication) -> str | None:
    if found.from_domain is None:
        return None
    if found.dmarc == "pass":
        return "dmarc (SES)"
    for domain in found.dkim_domains:
        if aligned(domain, found.from_domain):
            return f"dkim {domain}"
    if found.spf == "pass" and found.spf_domain and aligned(found.spf_domain, found.from_domain):
        return f"spf {found.spf_domain}"
    return None


def _part(data: Json, name: str, notes: list[str]) -> Json:
    value = data.get(name)
    notes += [] if isinstance(value, Mapping) else [f"the notification has no {name} object"]
    return value if isinstance(value, Mapping) else {}


def _verdict(receipt: Json, name: str, table: Mapping[str, str], notes: list[str]) -> str | None:
    status = v.get("status") if isinstance(v := receipt.get(name), Mapping) else None
    if isinstance(status, str) and status.upper() in table:
        return table[status.upper()]
    notes.append(f"no usable receipt.{name} ({status!r})")
    return None


def _headers(mail: Json) -> Iterator[tuple[str, str]]:
    listed = mail.get("headers")
    for item in listed if isinstance(listed, list) else ():
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            yield item["name"].strip().lower(), str(item.get("value") or "")


def _from_domain(mail: Json, headers: Headers, notes: list[str]) -> str | None:
    common = mail.get("commonHeaders")
    listed = common.get("from") if isinstance(common, Mapping) else None
    values = [str(v) for v in listed] if isinstance(listed, list) else []
    # The From headers too: a second From that commonHeaders leaves out still makes two.
    values += [value for name, value in headers if name == "from"]
    found = {spec.lower() for _, spec in getaddresses(values) if "@" in spec}
    if len(found) != 1:
        notes.append(f"{len(found)} From addresses: alignment needs exactly one")
        return None
    return _domain(found.pop())


def _domain(address: str) -> str | None:
    local, _, domain = address.strip().strip("<>").rpartition("@")
    return (normalize_domain(domain) or None) if local else None


def _ses_dkim(headers: Headers) -> tuple[DkimSignature, ...] | None:
    """Return the DKIM results of SES's own Authentication-Results; None if it is not there."""
    # Only the topmost counts: SES prepends its own, and any below came with the message.
    value = next((value for name, value in headers if name == "authentication-results"), "")
    while (bare := _COMMENT.sub(" ", value)) != value:  # comments may nest
        value = bare
    first, *clauses = value.split(";")
    if [word.lower() for word in first.split()[:1]] != [SES_AUTHSERV_ID]:
        return None
    return tuple(s for s in map(_dkim_clause, clauses) if s is not None)


def _dkim_clause(clause: str) -> DkimSignature | None:
    words = clause.split()
    if not words or not words[0].lower().startswith("dkim="):
        return None
    tags = {key: tag for key, _, tag in (w.lower().partition("=") for w in words[1:])}
    domain = tags.get("header.d") or tags.get("header.i", "").rpartition("@")[2]
    if not domain:
        return None  # dkim=none: no signature to name
    return DkimSignature(normalize_domain(domain), words[0][5:].lower(), tags.get("header.s"))


def _signed_dkim(headers: Headers, result: str | None) -> tuple[DkimSignature, ...]:
    signed = [(_tag(v, "d"), _tag(v, "s")) for name, v in headers if name == "dkim-signature"]
    domains = {normalize_domain(d) for d, _ in signed if d}
    detail, result = _OVERALL, result or "neutral"
    if result == "pass" and len(domains) > 1:
        # Crediting each would let a bogus signature of the From's domain ride on a real one.
        detail, result = _UNATTRIBUTED, "neutral"
    return tuple(DkimSignature(normalize_domain(d), result, s, detail) for d, s in signed if d)


def _tag(value: str, name: str) -> str | None:
    for part in value.split(";"):
        key, _, tag = part.partition("=")
        if key.strip().lower() == name:
            return "".join(tag.split()) or None  # folding whitespace is not part of a tag
    return None
