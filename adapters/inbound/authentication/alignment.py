"""DMARC identifier alignment (RFC 7489 section 3.1) over the Public Suffix List."""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    # The list ships inside the package (no download); loading it costs ~50 ms, once.
    return PublicSuffixList()


def normalize_domain(domain: str) -> str:
    """Return ``domain`` lower-cased, without a trailing dot or surrounding space."""
    return domain.strip().rstrip(".").lower()


@lru_cache(maxsize=4096)
def organizational_domain(domain: str) -> str:
    """Return the organizational domain: the public suffix plus one label (RFC 7489 3.2).

    A name that is itself a public suffix, or that the list does not know, stands for itself.
    """
    name = normalize_domain(domain)
    return _suffixes().privatesuffix(name) or name


def aligned(authenticated: str, from_domain: str, *, strict: bool = False) -> bool:
    """Return whether an authenticated domain (DKIM ``d=``, SPF) is aligned with the From's.

    Relaxed (the default): the same organizational domain. Strict: the same domain.
    """
    a, b = normalize_domain(authenticated), normalize_domain(from_domain)
    if not a or not b:
        return False
    if strict:
        return a == b
    return organizational_domain(a) == organizational_domain(b)
