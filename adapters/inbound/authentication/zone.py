"""A resolver that answers only from a fixed table of records: closed networks and tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from adapters.inbound.authentication.resolver import (
    DnsTemporaryFailure,
    NoRecords,
    NoSuchDomain,
    canonical_name,
)

SERVFAIL = "SERVFAIL"  # in a table: this name (or this type at a name) fails temporarily


class ZoneResolver:
    """Answers only from a table ``{"name": {"TXT": [...], "A": [...], "MX": [[10, "mx"]]}}``.

    For closed networks and tests. A name absent from the table is NXDOMAIN; a name without the
    type asked is NOERROR/no answer; ``"SERVFAIL"`` in place of a name's records or of one
    type's list makes those lookups fail temporarily.
    """

    def __init__(self, records: Mapping[str, Any]) -> None:
        self._zone: dict[str, Any] = {}
        for name, entry in records.items():
            if entry == SERVFAIL:
                self._zone[canonical_name(name)] = SERVFAIL
            elif isinstance(entry, Mapping):
                types = {str(t).upper(): v for t, v in entry.items()}
                if any(v != SERVFAIL and not isinstance(v, list) for v in types.values()):
                    raise ValueError(f"records of {name!r} must be lists or {SERVFAIL!r}")
                self._zone.setdefault(canonical_name(name), {}).update(types)
            else:
                raise ValueError(f"records of {name!r} must be a mapping of types or {SERVFAIL!r}")

    @classmethod
    def from_file(cls, path: str | Path) -> ZoneResolver:
        """Load the table from a JSON file (same shape as the constructor's)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a zone file is a JSON object of names")
        return cls(data)

    def _values(self, name: str, rdtype: str) -> list[Any]:
        entry = self._zone.get(canonical_name(name))
        if entry is None:
            raise NoSuchDomain(f"{name}: no such domain")
        values = SERVFAIL if entry == SERVFAIL else entry.get(rdtype)
        if values == SERVFAIL:
            raise DnsTemporaryFailure(f"{name} {rdtype}: server failure")
        if not values:
            raise NoRecords(f"{name}: no {rdtype} records")
        return list(values)

    def txt(self, name: str) -> list[bytes]:
        """Return each TXT record (a string, or a list of strings to join) as bytes."""
        return [_joined(v) for v in self._values(name, "TXT")]

    def a(self, name: str) -> list[str]:
        """Return the IPv4 addresses."""
        return [str(v) for v in self._values(name, "A")]

    def aaaa(self, name: str) -> list[str]:
        """Return the IPv6 addresses."""
        return [str(v) for v in self._values(name, "AAAA")]

    def mx(self, name: str) -> list[tuple[int, str]]:
        """Return (preference, exchange) pairs."""
        return [(int(p), canonical_name(str(x))) for p, x in self._values(name, "MX")]

    def ptr(self, name: str) -> list[str]:
        """Return the names a reverse name points to."""
        return [canonical_name(str(v)) for v in self._values(name, "PTR")]


def _joined(value: str | Iterable[str]) -> bytes:
    parts = [value] if isinstance(value, str) else list(value)
    return b"".join(part.encode("utf-8") for part in parts)
