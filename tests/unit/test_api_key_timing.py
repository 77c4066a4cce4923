"""Authenticating does the same work, and takes the same time, whether the key id exists or not."""

from __future__ import annotations

import base64
import secrets
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from application.admin.keys import ApiKeys, Scope
from application.stores import A, Loader
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import driver

WRONG_SECRET = "x" * 43  # well formed: it reaches the store and the hash
PAIRS = 400


@dataclass
class RecordingLoader:
    """The real store's loader, noting each lookup: which kind, and whether it found one."""

    load: Loader
    lookups: list[tuple[str, bool]] = field(default_factory=list)

    def __call__(self, kind: type[A], aggregate_id: UUID) -> A | None:
        found = self.load(kind, aggregate_id)
        self.lookups.append((kind.__name__, found is not None))
        return found


def issued() -> tuple[ApiKeys, RecordingLoader, str]:
    """Return keys over a fresh memory store, its recording loader, and one issued key id."""
    service = driver(bootstrap(Settings(backend="memory")))
    recording = RecordingLoader(service.load)
    keys = ApiKeys(recording, service.save)
    _, token = keys.create(Scope.ADMIN, None, "timing", datetime.now(UTC))
    return keys, recording, token.split("_")[1]


def unknown_id() -> str:
    """Return a well-formed key id that was never issued (40 random bits)."""
    return base64.b32encode(secrets.token_bytes(5)).decode("ascii").lower()


def test_an_unknown_id_and_a_wrong_secret_make_the_same_lookups() -> None:
    keys, recording, key_id = issued()
    now = datetime.now(UTC)
    made = []
    for token in (f"cis_{key_id}_{WRONG_SECRET}", f"cis_{unknown_id()}_{WRONG_SECRET}"):
        recording.lookups.clear()
        assert keys.authenticate(token, now) is None
        made.append(sorted(recording.lookups))
    # One stored key loaded (so one hash compared) and one lookup that finds nothing, each.
    assert made[0] == made[1] == [("ApiKey", False), ("ApiKey", True)]


def test_an_unknown_id_takes_as_long_as_a_wrong_secret() -> None:
    keys, _, key_id = issued()
    existing = f"cis_{key_id}_{WRONG_SECRET}"
    unknown = [f"cis_{unknown_id()}_{WRONG_SECRET}" for _ in range(PAIRS)]
    now = datetime.now(UTC)
    # Warm both paths up. The memory store files an empty entry under every id it is first
    # asked for (a defaultdict): without this, that alone would make fresh ids slower.
    for token in unknown:
        keys.authenticate(existing, now)
        keys.authenticate(token, now)
    rounds = []
    # A round can be spoiled by a busy machine; a real difference spoils every round.
    for _ in range(3):
        known, unknowns = _timings(keys, existing, unknown, now)
        ratio = statistics.median(known) / statistics.median(unknowns)
        share = _probability_greater(known, unknowns)
        rounds.append((round(ratio, 2), round(share, 2)))
        # Generous bounds: before lookups did the same work, the ratio was about 2.8 and
        # P(known > unknown) 0.99; since, about 0.98 and 0.25-0.5.
        if 2 / 3 < ratio < 3 / 2 and 0.1 < share < 0.9:
            return
    raise AssertionError(f"timing tells if a key id exists: (ratio, P(known > unknown)) {rounds}")


def _timings(
    keys: ApiKeys, existing: str, unknown: list[str], now: datetime
) -> tuple[list[int], list[int]]:
    """Time interleaved lookups, one of each kind per unknown id, alternating which goes first."""
    known_times: list[int] = []
    unknown_times: list[int] = []
    for n, other in enumerate(unknown):
        tries = [(existing, known_times), (other, unknown_times)]
        for token, times in tries if n % 2 else reversed(tries):
            start = time.perf_counter_ns()
            keys.authenticate(token, now)
            times.append(time.perf_counter_ns() - start)
    return known_times, unknown_times


def _probability_greater(a: list[int], b: list[int]) -> float:
    """Return Mann-Whitney's U / (len(a) len(b)): how often an ``a`` exceeds a ``b`` (ties ½)."""
    ranked = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks: list[float] = [0.0] * len(ranked)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1  # tied values share their mean rank
        i = j + 1
    rank_sum = sum(r for r, (_, group) in zip(ranks, ranked, strict=True) if group == 0)
    return (rank_sum - len(a) * (len(a) + 1) / 2) / (len(a) * len(b))
