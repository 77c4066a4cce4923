"""Whatever bytes arrive, the parser answers with exactly one ItipMessage or Unusable."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.inbound.parser import EmailCalendarParser
from domain.messages import ItipMessage, Unusable

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
MESSAGES = [
    p.read_bytes()
    for p in sorted(CORPUS.rglob("*"))
    if p.is_file() and p.name not in {"README.md", "MANIFEST.tsv"}
]
PARSER = EmailCalendarParser()
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_one_outcome(raw: bytes) -> None:
    result = PARSER.parse(raw)
    assert isinstance(result, ItipMessage | Unusable)
    if isinstance(result, Unusable):
        assert result.kind
        assert len(result.reason) > 20
    else:
        assert result.uid
        assert result.components


@st.composite
def mutated_corpus_message(draw: st.DrawFn) -> bytes:
    """A real corpus message with random bytes overwritten, inserted, deleted, then cut."""
    data = bytearray(draw(st.sampled_from(MESSAGES)))
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        position = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.integers(min_value=0, max_value=255))
        if action == "replace" and data:
            data[position] = byte
        elif action == "insert":
            data.insert(position, byte)
        elif data:
            del data[position]
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    return bytes(data[:cut]) if draw(st.booleans()) else bytes(data)


def test_the_corpus_is_there_to_mutate() -> None:
    assert len(MESSAGES) > 90, f"expected the shared corpus at {CORPUS}"


@SETTINGS
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert_one_outcome(raw)


@SETTINGS
@given(st.text(max_size=2000).map(lambda text: b"BEGIN:VCALENDAR\r\n" + text.encode()))
def test_arbitrary_text_after_a_calendar_header_never_raises(raw: bytes) -> None:
    assert_one_outcome(raw)


@SETTINGS
@given(mutated_corpus_message())
def test_mutated_and_truncated_corpus_messages_never_raise(raw: bytes) -> None:
    assert_one_outcome(raw)
