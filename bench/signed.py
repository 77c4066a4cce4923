"""The corpus as signing mail systems would send it: each email DKIM-signed for its From domain.

A key is made per run (never stored); the zone that publishes it answers the verifier's DNS,
so the verified ingest costs what verification costs here, without the network's latency.
"""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.inbound.authentication.dns import ZoneResolver

SELECTOR = "bench"
_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]


def _from_domain(raw: bytes) -> str | None:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    found = email.utils.getaddresses([str(h) for h in message.get_all("From") or []])
    if len(found) != 1 or "@" not in found[0][1]:
        return None
    return found[0][1].rpartition("@")[2].lower()


def signed_corpus(messages: list[bytes]) -> tuple[list[bytes], ZoneResolver]:
    """Return the emails with one From, each signed for its domain, and the zone of the keys."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"
    signed, table = [], {}
    for raw in messages:
        domain = _from_domain(raw)
        if domain is None:
            continue
        try:
            signature = dkim.sign(
                raw, SELECTOR.encode(), domain.encode(), pem, include_headers=_HEADERS
            )
        except (dkim.DKIMException, IndexError):
            continue  # a header section dkimpy cannot read
        signed.append(bytes(signature) + raw)
        table[f"{SELECTOR}._domainkey.{domain}"] = {"TXT": [record]}
    return signed, ZoneResolver(table)
