"""The header section of a raw message, and the one From domain DMARC speaks for."""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from adapters.inbound.authentication.alignment import normalize_domain

_END_OF_HEADERS = re.compile(rb"\n\r?\n")
# A real From fits in far less; bounding it keeps address parsing cheap on hostile input.
MAX_FROM_LENGTH = 4096


def header_section(raw: bytes) -> bytes:
    """Return the bytes before the first empty line (all of ``raw`` if there is none)."""
    if raw.startswith((b"\n", b"\r\n")):
        return b""
    end = _END_OF_HEADERS.search(raw)
    return raw[: end.start() + 1] if end else raw


def read_headers(raw: bytes) -> Message:
    """Parse only the header section, as the rest of the project reads mail (compat32)."""
    # Slicing first keeps a huge body out of the parser altogether.
    return BytesHeaderParser(policy=compat32).parsebytes(header_section(raw))


def domain_of(address: str | None) -> str | None:
    """Return the domain of an address (or of a bare domain), as an A-label, or None."""
    if not address:
        return None
    domain = normalize_domain(address.strip().strip("<>").rpartition("@")[2])
    if not domain or any(c in domain for c in ' \t"()<>[]\\,;:@'):
        return None
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        # Not convertible to an A-label: compare it as written, DKIM d= will never match it.
        return domain


def from_domain(message: Message) -> tuple[str | None, str | None]:
    """Return (the domain of the one From address, None) or (None, why there is none)."""
    values = message.get_all("From") or []
    if not values:
        return None, "no From header"
    if len(values) > 1:
        return None, f"{len(values)} From headers"
    value = str(values[0])
    if len(value) > MAX_FROM_LENGTH:
        return None, "From header too long to read"
    addresses = [address for _, address in getaddresses([value]) if address]
    if len(addresses) != 1:
        return None, f"From header has {len(addresses) or 'no'} addresses"
    domain = domain_of(addresses[0]) if "@" in addresses[0] else None
    if domain is None:
        return None, "From address has no usable domain"
    return domain, None
