"""The all-in-one local server: SMTP drop box, HTTP API and background work, one process."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from adapters.mail.dropbox import DropBox, Limits, SmtpClient
from application.results import IngestResult
from entrypoints.container import Container
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from application.webhooks.front_door import Webhooks

log = logging.getLogger(__name__)
# Each message received, one record (``cis serve`` shows them; see serve_cli).
mail_log = logging.getLogger("cis.mail")


def dropbox_for(container: Container, *, host: str = "127.0.0.1", port: int = 0) -> DropBox:
    """Return the SMTP drop box of ``container``: each copy it takes is ingested with the
    SMTP client's address and HELO name, so the sender can be verified (SPF)."""
    inbound = container.inbound()
    settings = container.settings()

    def accept(raw: bytes, to: str, sender: str | None, client: SmtpClient) -> IngestResult:
        started = time.perf_counter()
        result = inbound.ingest(
            raw,
            now=datetime.now(UTC),
            envelope_to=to,
            envelope_from=sender,
            client_ip=client.address,
            helo=client.helo,
            channel="smtp",
        )
        log_received(to, result, (time.perf_counter() - started) * 1000)
        return result

    return DropBox(
        accept,
        domain=settings.mail_domain,
        mailboxes=container.mailboxes(),
        host=host,
        port=port,
        limits=smtp_limits(settings),
    )


def log_received(to: str, result: IngestResult, took: float) -> None:
    """Log what became of one message: to which mailbox, its outcome, its invite.

    The mailbox is named without its tag: the token of ``rsvp+TOKEN@`` is a secret.
    """
    mailbox = to.partition("@")[0].partition("+")[0].lower()
    outcome = result.outcome.value
    invite = str(result.invite) if result.invite else None
    mail_log.info(
        "mail %s %s%s %.1f ms",
        mailbox,
        outcome,
        f" invite {invite}" if invite else "",
        took,
        extra={
            "fields": {
                "event": "mail",
                "mailbox": mailbox,
                "outcome": outcome,
                "invite": invite,
                "ms": round(took, 1),
            }
        },
    )


def smtp_limits(settings: Settings) -> Limits:
    """Return the drop box's limits as configured."""
    return Limits(
        max_size=settings.smtp_max_message_bytes,
        max_recipients=settings.smtp_max_recipients,
        max_connections=settings.smtp_max_connections,
        max_connections_per_client=settings.smtp_max_connections_per_client,
        idle_timeout=settings.smtp_idle_timeout,
        workers=settings.smtp_workers,
        ingest_timeout=settings.smtp_ingest_timeout,
    )


def http_config(app: Any, settings: Settings, host: str, port: int) -> Any:
    """Return how uvicorn serves ``app`` (a ``uvicorn.Config``): the API's settings, shared
    with the HTTP load benchmark so its bare endpoint runs under the very same ones."""
    import uvicorn  # the server's dependencies load only when serving

    from entrypoints.http_guard import guarded_protocol

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        # Requests are logged by the app (entrypoints/api/access_log.py), by route
        # template: uvicorn's access log prints raw paths, RSVP tokens and all. Its other
        # records reach whatever handlers the process has (cis serve: one line each).
        access_log=False,
        log_config=None,
        lifespan="off",
        http=guarded_protocol(settings.http_max_connections, settings.http_read_timeout),
        # uvicorn counts the asking connection too; the guard already refused any past
        # the cap, so this bounds requests running at once to the same number.
        limit_concurrency=settings.http_max_connections + 1,
        timeout_keep_alive=settings.http_keep_alive_timeout,
        # All of a request's headers (uvicorn's default, said here); past it: 400.
        h11_max_incomplete_event_size=16 * 1024,
    )


@dataclass
class Addresses:
    """Where the running server listens."""

    smtp: tuple[str, int]
    http: tuple[str, int]


class LocalServer:
    """Starts the drop box, the API (uvicorn), a worker thread, the webhooks' thread and the
    organizer notices' thread; stops them all."""

    def __init__(
        self,
        container: Container,
        *,
        host: str = "127.0.0.1",
        http_port: int = 8025,
        smtp_port: int = 2525,
        # API reads answer from the views as they are, so this bounds how stale they get; an
        # idle round costs ~0.1 ms (one log query), so a short interval is nearly free.
        interval: float = 0.2,
        retry_every: float = 60.0,
        webhook_interval: float = 1.0,
    ) -> None:
        self.container = container
        self.host = host
        self.http_port = http_port
        self.smtp_port = smtp_port
        self.interval = interval
        self.retry_every = retry_every
        self.webhook_interval = webhook_interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._uvicorn: Any = None
        self._dropbox: DropBox | None = None

    def start(self) -> Addresses:
        """Start everything and return where it listens (a port 0 is resolved)."""
        import uvicorn  # the server's dependencies load only when serving

        from entrypoints.api import create_app

        settings = self.container.settings()
        # Organizer notices leave ingest's path: a thread of their own sends them.
        self.container.notifier().start_background()
        # Built here, before any thread: the container's singletons are not thread-safe, and
        # the webhook thread building its views store while the work thread built the same
        # one opened the file twice at once ("database is locked"), ending the thread.
        webhooks = self.container.webhooks()
        self._dropbox = dropbox_for(self.container, host=self.host, port=self.smtp_port)
        self._dropbox.start()
        config = http_config(create_app(self.container), settings, self.host, self.http_port)
        self._uvicorn = uvicorn.Server(config)
        self._spawn(self._uvicorn.run, "http")
        while not self._uvicorn.started:
            if not self._threads[0].is_alive():
                raise RuntimeError(f"the HTTP API could not listen on {self.host}:{self.http_port}")
            self._stop.wait(0.05)
        self._spawn(self._work, "work")
        self._spawn(lambda: self._webhooks(webhooks), "webhooks")
        sockets = self._uvicorn.servers[0].sockets
        http = sockets[0].getsockname()[:2]
        return Addresses((self._dropbox.host, self._dropbox.port), (http[0], http[1]))

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=f"cis-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _work(self) -> None:
        """Keep the views current and complete pending sends, until stopped."""
        runner = self.container.projections()
        outbound = self.container.outbound()
        # Rounds after the first look only at invites with news since the last one.
        pending = outbound.pending_sends()
        waited = 0.0
        while not self._stop.wait(self.interval):
            try:
                runner.run()
                waited += self.interval
                if waited >= self.retry_every:
                    waited = 0.0
                    outbound.retry_due(pending, now=datetime.now(UTC))
            except Exception:
                # The next round tries again; a bad moment must not end the background work.
                log.exception("background work failed; retrying in %s s", self.interval)

    def _webhooks(self, webhooks: Webhooks) -> None:
        """Fan out new events to webhook endpoints and deliver what is due, until stopped: a
        thread of its own, so a slow endpoint never holds the views or the mail back."""
        while not self._stop.wait(self.webhook_interval):
            try:
                webhooks.run(datetime.now(UTC))
            except Exception:
                log.exception("webhook round failed; retrying in %s s", self.webhook_interval)

    def stop(self) -> None:
        """Stop accepting mail and requests, finish the background round, and return."""
        self._stop.set()
        # Parse workers are killed first: a message still being read gets a 451 (its sender
        # retries), and stopping never waits out a stranger's parse budget.
        self.container.parser().close()
        if self._dropbox is not None:
            self._dropbox.stop()
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        for thread in self._threads:
            thread.join(timeout=10)
        # Last, once nothing ingests any more: the notices still queued are sent before exit.
        self.container.notifier().stop_background()
