"""One TransactWriteItems, sent again while only contention or throttling cancelled it.

Both DynamoDB stores (events and views) write this way; each maps the two outcomes below to
its own errors.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

# DynamoDB's hard limit on the number of items in one TransactWriteItems call.
MAX_TRANSACTION_ITEMS = 100

# Cancellation reason codes that say nothing about our data, only about contention or capacity:
# the same transaction can succeed if sent again. "None" marks the items that did not fail.
TRANSIENT_CANCELLATIONS = frozenset(
    {"None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)

CONDITION_FAILED = "ConditionalCheckFailed"


class TransactionRefusedError(Exception):
    """DynamoDB cancelled the transaction for a reason a re-send would meet again.

    ``error`` is botocore's TransactionCanceledException; ``reasons`` its codes, one per item.
    """

    def __init__(self, error: Exception, reasons: list[str]) -> None:
        super().__init__(str(error))
        self.error = error
        self.reasons = reasons

    @property
    def failed_conditions(self) -> set[int]:
        """The positions of the items whose condition failed."""
        return {i for i, code in enumerate(self.reasons) if code == CONDITION_FAILED}

    @property
    def refusals(self) -> list[str]:
        """The codes that are neither transient nor a failed condition (e.g. ValidationError)."""
        return sorted(set(self.reasons) - TRANSIENT_CANCELLATIONS - {CONDITION_FAILED})


class TransactionContendedError(Exception):
    """Every attempt was cancelled by concurrent transactions or throttling alone."""

    def __init__(self, attempts: int, reasons: list[str]) -> None:
        super().__init__(
            f"DynamoDB transaction still cancelled after {attempts} attempts "
            f"by concurrent transactions or throttling ({', '.join(sorted(set(reasons)))})"
        )
        self.reasons = reasons


def jittered_backoff(attempt: int, base: float, cap: float) -> float:
    """Capped exponential backoff with full jitter, so colliding writers spread out."""
    return random.uniform(0, min(cap, base * 2**attempt))


def transact_write(
    client: Any,
    operations: Sequence[dict[str, Any]],
    *,
    attempts: int,
    pause: Callable[[int], None],
) -> None:
    """Send ``operations`` as ONE TransactWriteItems, up to ``attempts`` times.

    A cancellation only by contention or throttling is sent again, after ``pause(n)`` before
    the n-th re-send (n from 1), then is a TransactionContendedError. Any other cancellation
    (a failed condition, data DynamoDB refused) is a TransactionRefusedError at once. Other
    errors (e.g. throttling that outlasted botocore's retries) pass through unchanged.
    """
    reasons: list[str] = []
    for attempt in range(attempts):
        if attempt:
            pause(attempt)
        try:
            client.transact_write_items(TransactItems=list(operations))
        except client.exceptions.TransactionCanceledException as e:
            reasons = [r.get("Code") or "None" for r in e.response.get("CancellationReasons", [])]
            if set(reasons) - TRANSIENT_CANCELLATIONS:
                raise TransactionRefusedError(e, reasons) from e
            continue
        return
    raise TransactionContendedError(attempts, reasons)
