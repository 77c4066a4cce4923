"""A mailer that sends raw messages through Amazon SES (v1 API), retrying throttling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from adapters.aws.clients import LazyClient, new_client
from application.ports import (
    DeliveryError,
    Mailer,
    OutgoingMail,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

THROTTLING = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException"})
PERMANENT = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "ConfigurationSetDoesNotExist",
        "InvalidParameterValue",
    }
)


class SesMailer(Mailer):
    """Sends with ``send_raw_email``; the boto3 client is made on the first send, once."""

    def __init__(
        self,
        region: str,
        *,
        configuration_set: str | None = None,
        client_factory: Callable[[], Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 5,
        first_backoff: float = 0.1,
        max_backoff: float = 2.0,
    ) -> None:
        self.region = region
        self.configuration_set = configuration_set
        self._client_factory = client_factory or self._default_client
        self._sleep = sleep
        self.attempts = max(1, attempts)
        self.first_backoff, self.max_backoff = first_backoff, max_backoff
        self._client = LazyClient(self._client_factory)

    def send(self, mail: OutgoingMail) -> str:
        """Send ``mail`` to its one recipient and return the SES MessageId."""
        from botocore.exceptions import BotoCoreError, ClientError

        request: dict[str, Any] = {
            "Source": mail.sender,
            "Destinations": [mail.recipient],
            "RawMessage": {"Data": mail.data},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        attempt = 1
        while True:
            try:
                return str(self._get_client().send_raw_email(**request)["MessageId"])
            except ClientError as error:
                failure, retry = classify(error, self.region)
                if not retry or attempt >= self.attempts:
                    raise failure from error
            except BotoCoreError as error:
                # Network or credentials trouble: the send stays pending for a later retry.
                raise TemporaryDeliveryError(f"ses:{self.region}: {error}") from error
            except OSError as error:
                # A socket or file error below botocore (a full disk for its caches, no more
                # descriptors): not the recipient's fault, so the send stays pending too.
                reason = f"ses:{self.region}: {error.strerror or error}"
                raise TemporaryDeliveryError(reason) from error
            self._sleep(min(self.max_backoff, self.first_backoff * 2 ** (attempt - 1)))
            attempt += 1

    def _get_client(self) -> Any:
        return self._client.get()

    def _default_client(self) -> Any:
        from botocore.config import Config

        # Our loop owns retries (bounded, observable); botocore's own would multiply them.
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=30)
        return new_client("ses", self.region, config=config)


def classify(error: ClientError, region: str) -> tuple[DeliveryError, bool]:
    """Classify a botocore ClientError by its AWS code and HTTP status; say if it is retried."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    reason = f"ses:{region}: {code} {details.get('Message', '')}".strip()
    if code in PERMANENT:
        return PermanentDeliveryError(reason), False
    # Anything else (a paused account, denied access, an unknown code) is not the recipient's
    # fault: the send stays pending rather than being recorded as failed.
    return TemporaryDeliveryError(reason), code in THROTTLING or status == 429 or status >= 500
