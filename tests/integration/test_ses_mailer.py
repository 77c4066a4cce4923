"""SesMailer against moto's SES: raw sends, rejections, throttling retries, a lazy client."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from adapters.mail.ses import SesMailer
from application.ports import OutgoingMail, PermanentDeliveryError, TemporaryDeliveryError

REGION = "eu-west-1"
SENDER = "invites@cis.test"
DATA = (
    "From: invites@cis.test\r\nTo: zoe@example.org\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n"
    "Message-ID: <1@cis.test>\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n\r\nZoë, café at ten.\r\n"
).encode()


def mail_from(sender: str = SENDER) -> OutgoingMail:
    return OutgoingMail("<1@cis.test>", sender, "zoe@example.org", DATA)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Fake credentials, moto's SES with a verified sender; yields moto's SES backend."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        yield ses_backends[DEFAULT_ACCOUNT_ID][REGION]


class Throttled:
    """A client factory whose real moto client is throttled for its first ``times`` sends."""

    def __init__(self, times: int, code: str = "Throttling", status: int = 400) -> None:
        self.times, self.code, self.status = times, code, status
        self.made = 0
        self.attempts = 0

    def __call__(self) -> Throttled:
        self.made += 1
        self.client = boto3.client("ses", region_name=REGION)
        return self

    def send_raw_email(self, **request: Any) -> Any:
        self.attempts += 1
        if self.attempts <= self.times:
            response: Any = {
                "Error": {"Code": self.code, "Message": "Maximum sending rate exceeded."},
                "ResponseMetadata": {"HTTPStatusCode": self.status},
            }
            raise ClientError(response, "SendRawEmail")
        return self.client.send_raw_email(**request)


def test_sends_the_raw_message_to_the_envelope_recipient(aws: Any) -> None:
    message_id = SesMailer(REGION).send(mail_from())
    [sent] = aws.sent_messages
    assert sent.id == message_id
    assert sent.source == SENDER
    assert sent.destinations[0] == "zoe@example.org"
    assert sent.raw_data.encode() == DATA


def test_unverified_sender_is_permanent(aws: Any) -> None:
    with pytest.raises(PermanentDeliveryError, match=r"MessageRejected .*stranger@cis\.test"):
        SesMailer(REGION).send(mail_from("stranger@cis.test"))
    assert aws.sent_messages == []


@pytest.mark.parametrize(
    ("code", "status"),
    [("Throttling", 400), ("TooManyRequestsException", 429), ("ServiceUnavailable", 503)],
)
def test_throttling_is_retried_with_growing_backoff(aws: Any, code: str, status: int) -> None:
    sleeps: list[float] = []
    factory = Throttled(times=3, code=code, status=status)
    message_id = SesMailer(REGION, client_factory=factory, sleep=sleeps.append).send(mail_from())
    assert [m.id for m in aws.sent_messages] == [message_id]
    assert factory.attempts == 4
    assert len(sleeps) == 3
    assert sleeps == sorted(sleeps)
    assert sleeps[0] > 0


def test_endless_throttling_gives_up_as_temporary(aws: Any) -> None:
    sleeps: list[float] = []
    factory = Throttled(times=1000)
    mailer = SesMailer(REGION, client_factory=factory, sleep=sleeps.append)
    with pytest.raises(TemporaryDeliveryError, match="Throttling"):
        mailer.send(mail_from())
    assert factory.attempts == 5
    assert len(sleeps) == 4
    assert max(sleeps) <= 2.0
    assert aws.sent_messages == []


@pytest.mark.parametrize("code", ["ConfigurationSetDoesNotExist", "MessageRejected"])
def test_permanent_rejections_are_not_retried(aws: Any, code: str) -> None:
    sleeps: list[float] = []
    factory = Throttled(times=1, code=code)
    with pytest.raises(PermanentDeliveryError, match=code):
        SesMailer(REGION, client_factory=factory, sleep=sleeps.append).send(mail_from())
    assert (factory.attempts, sleeps) == (1, [])


def test_makes_its_client_on_the_first_send_and_only_once(aws: Any) -> None:
    factory = Throttled(times=0)
    mailer = SesMailer(REGION, client_factory=factory)
    assert factory.made == 0
    mailer.send(mail_from())
    mailer.send(mail_from())
    assert factory.made == 1
    assert len(aws.sent_messages) == 2


def test_sends_through_a_configuration_set(aws: Any) -> None:
    boto3.client("ses", region_name=REGION).create_configuration_set(
        ConfigurationSet={"Name": "invites"}
    )
    SesMailer(REGION, configuration_set="invites").send(mail_from())
    assert len(aws.sent_messages) == 1


def test_importing_the_mailer_loads_no_aws_sdk() -> None:
    # A fresh interpreter: Lambda cold starts pay for boto3 only when mail is actually sent.
    probe = "import sys, adapters.mail.ses; print(sorted({'boto3', 'botocore'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "[]")
