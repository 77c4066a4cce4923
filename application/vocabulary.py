"""The domain's words entry points may use to parse input and render output.

Entry points import neither the domain nor the adapters (an import-linter contract); what
they need of the domain's vocabulary (address checks, policies, link answers) is named here,
once, so the edge of the application stays one explicit list.
"""

from __future__ import annotations

from domain.addresses import address_problem
from domain.api_keys import InvalidSubjectError, Principal, Scope
from domain.authentication import SenderPolicy
from domain.identity import normalize_address
from domain.organizer import InvalidOriginError
from domain.sender_domains import NotInDomainError
from domain.web_links import ANSWERS, InvalidLinkError, checked_base_url

__all__ = [
    "ANSWERS",
    "InvalidLinkError",
    "InvalidOriginError",
    "InvalidSubjectError",
    "NotInDomainError",
    "Principal",
    "Scope",
    "SenderPolicy",
    "address_problem",
    "checked_base_url",
    "normalize_address",
]
