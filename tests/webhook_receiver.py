"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 that checks each delivery's
signature with the ``standardwebhooks`` package (an independent implementation of the scheme),
answers 500 to the first ``fail_first`` deliveries, and deduplicates by ``webhook-id`` as a
receiver should."""

from __future__ import annotations

import json
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

# standardwebhooks refuses timestamps more than five minutes from the wall clock; tests that
# move their own clock by hours check the signature itself (the package's ``sign``) instead.
_TOLERANCE = 300


@dataclass(frozen=True)
class Received:
    """One delivery as the receiver saw it."""

    webhook_id: str
    timestamp: int
    signatures: list[str]
    body: bytes
    verified: bool
    answered: int
    headers: dict[str, str]

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


def signed_by(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Return whether one of the ``webhook-signature`` entries is ``secret``'s, per the
    standardwebhooks package: its full ``verify`` when the timestamp is recent, else its
    ``sign`` at the header's timestamp compared with each entry."""
    hook = Webhook(secret)
    stamp = int(headers["webhook-timestamp"])
    if abs(datetime.now(UTC).timestamp() - stamp) < _TOLERANCE:
        try:
            hook.verify(body, headers)
        except WebhookVerificationError:
            return False
        return True
    expected = hook.sign(headers["webhook-id"], datetime.fromtimestamp(stamp, UTC), body)
    return expected in headers["webhook-signature"].split(" ")


@dataclass
class Receiver:
    """What the server behind ``url`` received; ``secrets``: the ones it accepts."""

    secrets: list[str]
    fail_first: int = 0
    url: str = ""
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        verified = any(signed_by(s, headers, body) for s in self.secrets)
        with self.lock:
            failing = len(self.received) < self.fail_first
            answered = 500 if failing or not verified else 204
            self.received.append(
                Received(
                    headers["webhook-id"],
                    int(headers["webhook-timestamp"]),
                    headers["webhook-signature"].split(" "),
                    body,
                    verified,
                    answered,
                    headers,
                )
            )
        return answered

    @property
    def counts(self) -> Counter[str]:
        """How many times each webhook id arrived."""
        return Counter(r.webhook_id for r in self.received)

    @property
    def accepted(self) -> dict[str, Received]:
        """What a deduplicating receiver processed: the first accepted copy of each id."""
        kept: dict[str, Received] = {}
        for received in self.received:
            if received.answered < 300:
                kept.setdefault(received.webhook_id, received)
        return kept


@contextmanager
def receiver(
    *secrets: str, fail_first: int = 0, tls: ssl.SSLContext | None = None, host: str = ""
) -> Iterator[Receiver]:
    """Run a receiver on a free port of 127.0.0.1 while the caller uses it; with ``tls``
    (a server context) over HTTPS, its URL naming ``host``."""
    state = Receiver(list(secrets), fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = state.handle(headers, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    state.url = f"{scheme}://{host or '127.0.0.1'}:{server.server_address[1]}/hooks/cis"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
