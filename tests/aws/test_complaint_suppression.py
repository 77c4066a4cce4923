"""SES's complaint and bounce notifications (moto-shaped, through SNS and SQS) put the address
on the suppression list server-wide: no organizer's later send mails it."""

from __future__ import annotations

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from application.send_types import Recipient, SendOutcome
from tests.aws.test_bounces_handler import (  # the deployment fixture and SES's payloads
    bounce,
    complaint,
    handle,
    notified,
    sent,
)
from tests.aws.test_inbound_handler import NOW, REGION, Stack

__all__ = ["sent"]


def _mailed(recipient: str) -> int:
    return sum(
        recipient in m.destinations for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    )


def test_a_complaint_and_a_hard_bounce_suppress_server_wide(sent: tuple[Stack, str]) -> None:
    stack, ref = sent
    assert handle(notified(complaint("carol@example.org"), bounce("bob@example.org"))) == []

    suppressions = stack.service.doors.outbound.suppressions
    assert suppressions.is_suppressed("carol@example.org", "anyone@example.net") == "complaint"
    assert suppressions.is_suppressed("bob@example.org", "anyone@example.net") == "hard-bounce"
    before = _mailed("carol@example.org")
    (result,) = stack.service.send(ref, [Recipient("carol@example.org", origin="bulk")], now=NOW)
    assert result.outcome is SendOutcome.SUPPRESSED
    assert _mailed("carol@example.org") == before
