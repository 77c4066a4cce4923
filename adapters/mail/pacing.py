"""A mailer that paces another per receiving domain (the SMTP relay's, on the embedded server).

Before each send it waits for the recipient domain's slot (:class:`domain.pacing.Pace`); a
4xx reply slows that domain down, each delivery speeds it up again. SES is not wrapped: it
paces and retries per provider itself, on AWS's side.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable

from application.ports import Mailer, OutgoingMail, TemporaryDeliveryError
from domain.pacing import Pace, receiving_domain


class PacedMailer(Mailer):
    """Hands mail to ``inner`` no faster than each receiving domain's pace allows.

    One wait is at most the domain's longest interval (its floor's: 10 s unless configured
    slower): a slot further away than that (many threads sending to one slowed domain) is not
    waited for, the send is left pending (``TemporaryDeliveryError``) for the next retry.
    Failures are raised as ``inner`` raised them, so retries work as without pacing.
    """

    def __init__(
        self,
        inner: Mailer,
        pace: Pace,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner = inner
        self.pace = pace
        self.clock = clock
        self.sleep = sleep
        # Guards the pace only: waits and sends run outside it, threads each on their slot.
        self._lock = threading.Lock()

    def send(self, mail: OutgoingMail) -> str:
        """Wait for the recipient domain's slot, then send; a deferral slows that domain."""
        domain = receiving_domain(mail.recipient)
        with self._lock:
            wait = self.pace.reserve(
                domain, self.clock(), within=self.pace.longest_interval(domain)
            )
        if wait is None:
            raise TemporaryDeliveryError(
                f"mail to {domain or 'this domain'} is slowed down after its servers deferred "
                "some: left pending for the next retry"
            )
        if wait > 0:
            self.sleep(wait)
        try:
            where = self.inner.send(mail)
        except TemporaryDeliveryError as error:
            if deferred_by_receiver(error):
                with self._lock:
                    self.pace.deferred(domain, self.clock())
            raise
        with self._lock:
            self.pace.delivered(domain, self.clock())
        return where

    def close(self) -> None:
        """Close the inner mailer's kept connection, if it keeps one."""
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


def deferred_by_receiver(error: TemporaryDeliveryError) -> bool:
    """Return whether a temporary failure is a 4xx reply (a deferral), not a broken connection.

    A relay that is down or a dropped connection says nothing about the recipient's domain,
    so it costs that domain no pace; the SMTP mailer chains the reply it got as the cause.
    """
    cause = error.__cause__
    if isinstance(cause, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _ in cause.recipients.values())
    return isinstance(cause, smtplib.SMTPResponseException) and 400 <= cause.smtp_code < 500
