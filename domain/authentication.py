"""Who a message is from, as verified rather than as claimed (DKIM, SPF, DMARC alignment).

A From header, a SENT-BY or a DTSTAMP is whatever the sender typed. What a mail system can
vouch for is narrower: that a domain signed the message (DKIM ``d=``), that the connecting
host may send for the envelope sender's domain (SPF), and whether either of those domains is
aligned with the From domain (DMARC, RFC 7489 section 3.1). Only an aligned message speaks
for the address in its From header.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class SenderPolicy(StrEnum):
    """What makes an organizer's message count (server-wide, or per organizer domain).

    ``dmarc``: the From is the organizer and the message is DMARC-aligned for its domain.
    ``dmarc-or-private``: that, or it came to the organizer's private drop-box address.
    ``private-only``: only the private drop-box address counts.
    ``off``: the From header is believed (tests and closed networks only).
    """

    DMARC = "dmarc"
    DMARC_OR_PRIVATE = "dmarc-or-private"
    PRIVATE_ONLY = "private-only"
    OFF = "off"

    @property
    def takes_dmarc(self) -> bool:
        """Return whether a DMARC-aligned message counts under this policy."""
        return self in (SenderPolicy.DMARC, SenderPolicy.DMARC_OR_PRIVATE)

    @property
    def takes_private(self) -> bool:
        """Return whether the private drop-box address counts under this policy."""
        return self in (SenderPolicy.DMARC_OR_PRIVATE, SenderPolicy.PRIVATE_ONLY)


@dataclass(frozen=True)
class DkimSignature:
    """One DKIM signature's verdict: the signing domain (``d=``) and the result."""

    domain: str
    result: str  # pass | fail | neutral | temperror | permerror | policy
    selector: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the recorded shape."""
        return {
            "domain": self.domain,
            "result": self.result,
            "selector": self.selector,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class SenderAuthentication:
    """What verification says of one message's sender.

    ``checked_by`` names who decided (``this server``, ``SES receipt``, or the authserv-id of a
    trusted ``Authentication-Results`` header); ``from_domain`` is the domain of the one From
    address (None when there is none or several); ``aligned`` is DMARC alignment: a passing
    DKIM signature or SPF check whose domain is aligned with ``from_domain``, and
    ``aligned_by`` says which (``dkim example.com`` / ``spf example.com``).
    """

    checked_by: str
    from_domain: str | None = None
    aligned: bool = False
    aligned_by: str | None = None
    dkim: tuple[DkimSignature, ...] = ()
    spf: str = "none"  # pass | fail | softfail | neutral | none | temperror | permerror
    spf_domain: str | None = None
    dmarc: str = "none"  # the DMARC result as computed or reported: pass | fail | none | ...
    detail: str | None = None

    @classmethod
    def unchecked(cls, why: str) -> SenderAuthentication:
        """Return the verdict of a message nobody verified (policy ``off``, for instance)."""
        return cls(checked_by="not checked", detail=why)

    @property
    def dkim_domains(self) -> tuple[str, ...]:
        """Return the domains whose DKIM signature verified."""
        return tuple(s.domain for s in self.dkim if s.result == "pass")

    def summary(self) -> str:
        """Return one line a person can read: the alignment, then what was checked."""
        if self.checked_by == "not checked":
            return f"sender not verified ({self.detail or 'no checks'})"
        head = (
            f"DMARC-aligned for {self.from_domain} ({self.aligned_by})"
            if self.aligned
            else f"not DMARC-aligned for {self.from_domain or 'any single From domain'}"
        )
        dkim = ", ".join(f"{s.domain}={s.result}" for s in self.dkim) or "no signature"
        spf = f"{self.spf} ({self.spf_domain})" if self.spf_domain else self.spf
        tail = f"; {self.detail}" if self.detail else ""
        return f"{head}; dkim: {dkim}; spf: {spf}; checked by {self.checked_by}{tail}"

    def as_dict(self) -> dict[str, Any]:
        """Return the recorded shape (receipts, ``cis history``)."""
        return {
            "checked_by": self.checked_by,
            "from_domain": self.from_domain,
            "aligned": self.aligned,
            "aligned_by": self.aligned_by,
            "dkim": [s.as_dict() for s in self.dkim],
            "spf": self.spf,
            "spf_domain": self.spf_domain,
            "dmarc": self.dmarc,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SenderAuthentication:
        """Read a recorded verdict back."""
        return cls(
            checked_by=str(data.get("checked_by") or "not checked"),
            from_domain=data.get("from_domain"),
            aligned=bool(data.get("aligned")),
            aligned_by=data.get("aligned_by"),
            dkim=tuple(
                DkimSignature(
                    str(s.get("domain", "")),
                    str(s.get("result", "")),
                    s.get("selector"),
                    s.get("detail"),
                )
                for s in data.get("dkim") or ()
            ),
            spf=str(data.get("spf") or "none"),
            spf_domain=data.get("spf_domain"),
            dmarc=str(data.get("dmarc") or "none"),
            detail=data.get("detail"),
        )
