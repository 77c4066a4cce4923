"""Claims on sends: who holds one, when it lapses, and which holders are known to have stopped."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from adapters.processes import LocalProcesses
from application.outbound.claims import Workers
from domain.delivery import Delivery

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def claimed(until: datetime) -> Delivery:
    delivery = Delivery(
        token="t", invite=uuid4(), address="ann@example.org", name=None, origin="api", timestamp=NOW
    )
    delivery.intend(
        sequence=0, method="REQUEST", message_id="<m@x>", timestamp=NOW, worker="w", until=until
    )
    return delivery


def test_a_claim_holds_until_it_lapses() -> None:
    attempt = claimed(NOW + timedelta(minutes=20)).attempt(0)
    assert attempt is not None
    assert attempt.claimant(NOW + timedelta(minutes=19)) == "w"
    assert attempt.claimant(NOW + timedelta(minutes=20)) is None


def test_an_outcome_ends_the_claim_and_a_temporary_failure_leaves_the_send_free() -> None:
    delivery = claimed(NOW + timedelta(minutes=20))
    delivery.failed(sequence=0, reason="451", permanent=False, timestamp=NOW)
    attempt = delivery.attempt(0)
    assert attempt is not None
    assert (attempt.status, attempt.claimant(NOW)) == ("pending", None)
    delivery.claim(sequence=0, worker="v", until=NOW + timedelta(minutes=1), timestamp=NOW)
    delivery.sent(sequence=0, where="smtp", timestamp=NOW)
    attempt = delivery.attempt(0)
    assert attempt is not None
    assert (attempt.status, attempt.claimant(NOW)) == ("sent", None)


def test_a_run_of_this_process_holds_its_claims_only_while_it_lasts() -> None:
    workers = Workers(LocalProcesses())
    with workers.run() as name:
        assert workers.alive(name)
    assert not workers.alive(name)


def test_a_process_of_this_host_that_is_gone_holds_nothing() -> None:
    workers = Workers(LocalProcesses())
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert not workers.alive(f"{workers.host}:{gone.stdout.strip()}:run")


def test_a_worker_on_another_host_is_believed_until_its_claim_lapses() -> None:
    assert Workers(LocalProcesses()).alive("elsewhere.example:1:run")


def test_claims_are_timed_by_the_clock_not_by_a_commands_now() -> None:
    later = NOW + timedelta(hours=3)
    workers = Workers(LocalProcesses(), timeout=timedelta(minutes=20), clock=lambda: later)
    assert workers.until() == later + timedelta(minutes=20)
