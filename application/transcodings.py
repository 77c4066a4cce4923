"""How domain value objects are stored inside events and snapshots."""

from __future__ import annotations

from typing import Any, Protocol, Self

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.attendance import Reply
from domain.occurrence import Occurrence
from domain.revision import Revision
from domain.values import Attendee, EventDetails


class _DictValue(Protocol):
    def as_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self: ...


def _as_dict_transcoding(value_type: type[_DictValue], type_name: str) -> Transcoding:
    class AsDict(Transcoding):
        type = value_type
        name = type_name

        def encode(self, obj: _DictValue) -> dict[str, Any]:
            return obj.as_dict()

        def decode(self, data: dict[str, Any]) -> _DictValue:
            return value_type.from_dict(data)

    return AsDict()


# Names are part of the stored format: renaming one makes stored events unreadable.
_VALUE_TYPES: tuple[tuple[type[Any], str], ...] = (
    (Attendee, "attendee"),
    (EventDetails, "event_details"),
    (Revision, "revision"),
    (Occurrence, "occurrence"),
    (Reply, "reply"),
)


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    """Teach the transcoder every value object the domain puts in events and snapshots."""
    for value_type, name in _VALUE_TYPES:
        transcoder.register(_as_dict_transcoding(value_type, name))
