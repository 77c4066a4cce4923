"""Test helper: real DKIM signing with keys made for this run, and DNS tables to verify them.

    example = SigningDomain("example.com")
    raw = example.sign(message(sender="alice@example.com"))
    resolver = zone(example, spf={"example.com": SPF_LOCALHOST}, dmarc={"example.com": DMARC})

Keys are generated per test session (never committed); every SigningDomain shares the session
key unless given its own (``new_key()``), which is enough: DNS decides whose key is whose.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.inbound.authentication.dns import SERVFAIL, ZoneResolver

SPF_LOCALHOST = "v=spf1 ip4:127.0.0.1 -all"
DMARC = "v=DMARC1; p=reject"
DMARC_STRICT = "v=DMARC1; p=reject; adkim=s; aspf=s"
SIGNED_HEADERS = ("from", "to", "subject", "date", "message-id")


@dataclass(frozen=True)
class RsaKey:
    """A DKIM key pair: the PKCS#1 PEM dkimpy signs with, and the DNS ``p=`` value."""

    private_pem: bytes
    public_b64: str


def new_key(bits: int = 2048) -> RsaKey:
    """Generate a fresh RSA key pair (~25 ms at 2048 bits)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return RsaKey(pem, base64.b64encode(der).decode("ascii"))


@cache
def session_key() -> RsaKey:
    """Return the key made once for this test session."""
    return new_key()


@dataclass(frozen=True)
class SigningDomain:
    """A domain that signs mail: ``sign(raw)`` prepends a DKIM-Signature with ``d=domain``."""

    domain: str
    selector: str = "test"
    key: RsaKey = field(default_factory=session_key)

    @property
    def key_name(self) -> str:
        """Return where the public key is published: ``<selector>._domainkey.<domain>``."""
        return f"{self.selector}._domainkey.{self.domain}"

    def sign(self, raw: bytes, *, headers: Sequence[str] = SIGNED_HEADERS) -> bytes:
        """Return ``raw`` with a real DKIM signature over ``headers`` and the body on top."""
        signature = dkim.sign(
            raw,
            self.selector.encode(),
            self.domain.encode(),
            self.key.private_pem,
            include_headers=[h.encode() for h in headers],
        )
        return bytes(signature) + raw

    def record(self) -> str:
        """Return the DKIM key TXT record."""
        return f"v=DKIM1; k=rsa; p={self.key.public_b64}"

    def records(self) -> dict[str, dict[str, list[Any]]]:
        """Return the zone-table entries publishing this domain's key."""
        return {self.key_name: {"TXT": [self.record()]}}


def message(
    *,
    sender: str | None = "alice@example.com",
    to: str = "bob@example.net",
    subject: str = "Team sync",
    body: str = "See you there.\r\n",
    extra: Iterable[str] = (),
) -> bytes:
    """Build a small CRLF message; ``sender=None`` leaves out From, ``extra`` adds header lines."""
    lines = [*extra]
    if sender is not None:
        lines.append(f"From: {sender}")
    lines += [
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Fri, 20 Nov 2026 09:00:00 +0000",
        "Message-ID: <sync-1@example.com>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


def zone(
    *domains: SigningDomain,
    spf: Mapping[str, str] | None = None,
    dmarc: Mapping[str, str] | None = None,
    records: Mapping[str, Mapping[str, list[Any]]] | None = None,
    failing: Iterable[str] = (),
) -> ZoneResolver:
    """Build a ZoneResolver: DKIM keys of ``domains``, SPF TXT at each ``spf`` domain, DMARC
    TXT at ``_dmarc.<domain>``, any other ``records``, and ``failing`` names that SERVFAIL."""
    table: dict[str, Any] = {}

    def add(name: str, rdtype: str, values: Iterable[Any]) -> None:
        table.setdefault(name, {}).setdefault(rdtype, []).extend(values)

    for signer in domains:
        add(signer.key_name, "TXT", [signer.record()])
    for name, record in (spf or {}).items():
        add(name, "TXT", [record])
    for name, record in (dmarc or {}).items():
        add(f"_dmarc.{name}", "TXT", [record])
    for name, types in (records or {}).items():
        for rdtype, values in types.items():
            add(name, rdtype, values)
    for name in failing:
        table[name] = SERVFAIL
    return ZoneResolver(table)
