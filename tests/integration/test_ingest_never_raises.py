"""No input whatsoever raises out of the ingest use case: real parser, real service."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import corpus_files
from tests.driver import Driver, driver

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def service() -> Driver:
    """One in-memory service for all examples: state piling up across examples is part of it."""
    return driver(bootstrap(Settings(backend="memory")))


@cache
def corpus() -> tuple[bytes, ...]:
    return tuple(p.read_bytes() for p in corpus_files())


def check(raw: bytes) -> None:
    result = service().ingest(raw, now=NOW)
    assert result.outcome in set(Outcome)
    if result.outcome is Outcome.REJECTED:
        assert result.reason
    assert service().blobs.get(result.message) == raw


@PROPERTY
@given(st.binary(max_size=4096))
def test_garbage_bytes_end_as_one_outcome(raw: bytes) -> None:
    check(raw)


@st.composite
def mutated_messages(draw: st.DrawFn) -> bytes:
    """A real corpus message with bytes flipped, cut, or spliced from another message."""
    messages = corpus()
    raw = bytearray(draw(st.sampled_from(messages)))
    for _ in range(draw(st.integers(1, 8))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        how = draw(st.sampled_from(["flip", "cut", "splice", "duplicate-line"]))
        if how == "flip":
            raw[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del raw[at : at + draw(st.integers(1, 400))]
        elif how == "splice":
            other = draw(st.sampled_from(messages))
            start = draw(st.integers(0, max(0, len(other) - 1)))
            raw[at:at] = other[start : start + draw(st.integers(1, 300))]
        else:
            end = raw.find(b"\n", at)
            raw[at:at] = raw[at : end + 1 if end >= 0 else len(raw)]
    return bytes(raw)


@PROPERTY
@given(mutated_messages())
def test_mutated_real_messages_end_as_one_outcome(raw: bytes) -> None:
    check(raw)


@PROPERTY
@given(st.lists(st.sampled_from(range(len(corpus_files()))), min_size=1, max_size=12))
def test_real_messages_in_any_order_end_as_one_outcome_each(picks: list[int]) -> None:
    for pick in picks:
        check(corpus()[pick])
