"""Sender authentication: DKIM, SPF and DMARC alignment, checked here or read from a trusted MTA."""

from adapters.inbound.authentication.dns import (
    DnsError,
    DnsTemporaryFailure,
    NoRecords,
    NoSuchDomain,
    Resolver,
    SystemResolver,
)
from adapters.inbound.authentication.verifier import MailAuthenticator
from adapters.inbound.authentication.zone import ZoneResolver

__all__ = [
    "DnsError",
    "DnsTemporaryFailure",
    "MailAuthenticator",
    "NoRecords",
    "NoSuchDomain",
    "Resolver",
    "SystemResolver",
    "ZoneResolver",
]
