"""DKIM: verify each signature of a raw message (dkimpy), keys looked up through a Resolver."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.message import Message

import dkim

from adapters.inbound.authentication.budget import Budget
from adapters.inbound.authentication.dns import DnsTemporaryFailure, NoRecords, Resolver
from adapters.inbound.authentication.headers import header_section
from domain.authentication import DkimSignature


class _Demoted(logging.LoggerAdapter[logging.Logger]):
    """dkimpy logs every signature that fails at ERROR; anyone can send such mail, and the
    verdict records the failure, so its messages go to DEBUG instead of flooding the logs."""

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:
        super().log(logging.DEBUG, msg, *args, **kwargs)  # type: ignore[arg-type]


_LOG = _Demoted(logging.getLogger(__name__), {})
# dkimpy joins folded header lines by repeated concatenation (quadratic); past these sizes a
# header section is hostile rather than mail, and is not handed to it.
MAX_HEADER_BYTES = 256 * 1024
MAX_HEADER_LINES = 2000


@dataclass(frozen=True)
class DkimOutcome:
    """The verdict on each signature checked, and how many were left unchecked by the cap."""

    signatures: tuple[DkimSignature, ...] = ()
    unchecked: int = 0


class _KeyLookup:
    """The ``dnsfunc`` dkimpy calls: a TXT lookup that remembers what it found."""

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver
        self.record: bytes | None = None
        self.problem = "no key record"

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        # Temporary failures propagate: dkimpy would turn its own timeout error into False.
        qname = name.decode("ascii", "replace").rstrip(".")
        try:
            records = self._resolver.txt(qname)
        except NoRecords:
            self.problem = f"no key at {qname}"
            return None
        keys = [r for r in records if r.lstrip().startswith(b"v=DKIM1")] or records
        self.record = keys[0]
        return self.record


def _tags(value: bytes) -> dict[bytes, bytes]:
    """Read a tag=value list leniently, so even a malformed signature can be named."""
    tags: dict[bytes, bytes] = {}
    for spec in value.split(b";"):
        key, _, tag_value = spec.partition(b"=")
        tags.setdefault(key.strip().lower(), re.sub(rb"\s+", b"", tag_value))
    return tags


def _named(tags: dict[bytes, bytes], result: str, detail: str | None = None) -> DkimSignature:
    domain = tags.get(b"d", b"").decode("ascii", "replace").rstrip(".").lower()
    selector = tags.get(b"s", b"").decode("ascii", "replace") or None
    short = detail if detail is None or len(detail) <= 160 else detail[:157] + "..."
    return DkimSignature(domain=domain, result=result, selector=selector, detail=short)


def _verify_one(
    signer: dkim.DKIM, index: int, tags: dict[bytes, bytes], resolver: Resolver, budget: Budget
) -> DkimSignature:
    if budget.expired():
        return _named(tags, "temperror", "time budget exhausted before this signature")
    lookup = _KeyLookup(resolver)
    try:
        valid = signer.verify(idx=index, dnsfunc=lookup)
    except DnsTemporaryFailure as error:
        return _named(tags, "temperror", f"key lookup failed: {error}")
    except dkim.ValidationError as error:
        if "body hash mismatch" in str(error):
            return _named(tags, "fail", "body hash did not verify (body changed after signing)")
        return _named(tags, "permerror", str(error))
    except dkim.DKIMException as error:
        return _named(tags, "permerror", str(error))
    except Exception as error:  # a malformed signature must not stop the other checks
        return _named(tags, "permerror", f"unverifiable signature ({type(error).__name__})")
    if valid:
        return _named(tags, "pass")
    if lookup.record is None:
        return _named(tags, "permerror", lookup.problem)
    try:
        dkim.evaluate_pk(b"key", lookup.record)
    except Exception as error:
        return _named(tags, "permerror", f"unusable key record: {error}")
    return _named(tags, "fail", "signature did not verify")


def verify_signatures(
    raw: bytes, headers: Message, resolver: Resolver, budget: Budget, *, limit: int
) -> DkimOutcome:
    """Verify at most ``limit`` DKIM-Signature headers, topmost first; never raise."""
    values = [
        str(v).encode("ascii", "surrogateescape") for v in headers.get_all("DKIM-Signature") or []
    ]
    if not values:
        return DkimOutcome()
    unchecked = max(0, len(values) - limit)
    tags = [_tags(v) for v in values[:limit]]
    section = header_section(raw)
    if len(section) > MAX_HEADER_BYTES or section.count(b"\n") > MAX_HEADER_LINES:
        why = "header section too large to verify"
        return DkimOutcome(tuple(_named(t, "permerror", why) for t in tags), unchecked)
    try:
        signer = dkim.DKIM(raw, logger=_LOG)
    except Exception as error:
        why = f"message unreadable for DKIM ({type(error).__name__})"
        return DkimOutcome(tuple(_named(t, "permerror", why) for t in tags), unchecked)
    # Index by dkimpy's own reading of the headers, so signature i is the one it verifies.
    found = [v for k, v in signer.headers if k.lower() == b"dkim-signature"]
    verdicts = (
        _verify_one(signer, i, _tags(v), resolver, budget) for i, v in enumerate(found[:limit])
    )
    return DkimOutcome(tuple(verdicts), max(0, len(found) - limit))
