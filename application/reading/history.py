"""An invite's stored events as people and scripts read them (its history)."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON types (value objects, ids, times, tuples included)."""
    if hasattr(value, "as_dict"):
        return jsonable(value.as_dict())
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    return value


@dataclass(frozen=True)
class HistoryEntry:
    """One stored event of an invite's stream."""

    version: int
    type: str
    timestamp: datetime
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one history entry (a stable contract)."""
        return {
            "version": self.version,
            "type": self.type,
            "timestamp": self.timestamp.isoformat(),
            "data": self.data,
        }


_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def history_entry(event: Any) -> HistoryEntry:
    """Describe one stored domain event."""
    return HistoryEntry(
        version=event.originator_version,
        type=type(event).__name__,
        timestamp=event.timestamp,
        data={k: jsonable(v) for k, v in vars(event).items() if k not in _ENVELOPE},
    )
