"""Raw mail run through ingest again: every object kept in the mail bucket, or the bodies a
dead-letter queue holds. ``cis aws redrive`` reports each step; this module does them.

Either way is safe to repeat: mail already recorded ends as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.aws.inbound_mail import DeadLetters, InboundMail, Ingested, Letter
from adapters.aws.mail_events import INBOUND


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Redriven:
    """One source processed again (an object's key, a message's id): what it became, or the
    error it failed with; ``deleted`` when it was a dead letter removed from its queue.

    A source that failed as a whole (the bucket, the queue) is named by its URL.
    """

    source: str
    arrived: tuple[Ingested, ...] = ()
    error: Exception | None = None
    deleted: bool = False


class Redrive:
    """Runs the mail bucket's objects, or a dead-letter queue's messages, through ingest."""

    def __init__(
        self,
        mail: InboundMail,
        *,
        region: str | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.mail = mail
        self.region = region
        self.clock = clock

    @property
    def mailboxes(self) -> list[str]:
        """The mailboxes whose prefixes (``inbound/<mailbox>/``) hold mail, sorted."""
        return sorted(self.mail.place.mailboxes)

    def from_s3(
        self, mailboxes: Collection[str], *, since: datetime | None = None
    ) -> Iterator[Redriven]:
        """Ingest each object under the ``mailboxes``' prefixes, oldest first, from ``since``
        on, with the envelope kept when it first arrived."""
        try:
            keys = self.mail.mail.keys(mailboxes, since=since)
        except Exception as error:  # no bucket, no permission, no network
            yield Redriven(f"s3://{self.mail.mail.bucket}/{INBOUND}", error=error)
            return
        for key in keys:
            try:
                arrived = self.mail.ingest_as_first(key, now=self.clock())
            except Exception as error:
                yield Redriven(key, error=error)
                continue
            yield Redriven(key, tuple(arrived))

    def from_dlq(self, url: str, *, wait: int = 2) -> Iterator[Redriven]:
        """Process each message of the queue at ``url`` as the inbound function does; delete
        it once everything it announced was ingested, release it at once if it fails again."""
        letters = DeadLetters(url, region=self.region, wait=wait)
        seen: set[str] = set()
        failed: list[Letter] = []
        try:
            while True:
                batch = [letter for letter in letters.receive() if letter.message_id not in seen]
                if not batch:
                    # Empty, or only messages seen already whose visibility ran out mid-run.
                    break
                for letter in batch:
                    seen.add(letter.message_id)
                    yield self._letter(letters, letter, failed)
        except Exception as error:  # no queue, no permission, no network
            yield Redriven(letters.url, error=error)
        for letter in failed:
            # Back on the queue now, not after the visibility timeout, for whoever looks next.
            letters.release(letter)

    def _letter(self, letters: DeadLetters, letter: Letter, failed: list[Letter]) -> Redriven:
        try:
            arrived = tuple(self.mail.receive(letter.body, now=self.clock()))
        except Exception as error:
            failed.append(letter)
            return Redriven(letter.message_id, error=error)
        # Deleted only once everything it announced was ingested.
        letters.delete(letter)
        return Redriven(letter.message_id, arrived, deleted=True)
