"""uvicorn's HTTP/1.1 protocol with a cap on connections and a deadline for slow clients.

uvicorn closes idle keep-alive connections, but waits for a new connection's first request,
and for a request's body, for ever: a client sending a header line a minute (slowloris) or a
body byte a minute holds its connection as long as it likes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_REFUSAL = json.dumps(
    {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "too many connections; try again later",
    }
).encode()
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: application/problem+json\r\n"
    b"retry-after: 5\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_REFUSAL)).encode() + b"\r\n\r\n" + _REFUSAL
)


class GuardedH11Protocol(H11Protocol):
    """Refuses connections past ``max_connections`` with a 503, and closes a connection
    whose request headers take over ``read_timeout`` seconds to arrive, or whose body stops
    arriving for that long."""

    max_connections = 500
    read_timeout = 10.0

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            # Before any request: a refused connection is held no longer than one write.
            transport.write(REFUSAL)
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._arm()  # a body is bounded by its pauses, not its length (the limit does that)
        elif state is not h11.IDLE:
            self._disarm()  # the whole request is in: the app's turn

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's headers are due too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.conn.their_state not in {h11.IDLE, h11.SEND_BODY}:
            return
        if self.flow.read_paused:
            self._arm()  # the app is not reading yet: the client is not the slow one
            return
        self.transport.close()


def guarded_protocol(max_connections: int, read_timeout: float) -> type[GuardedH11Protocol]:
    """Return the protocol class uvicorn makes each connection of, with these limits."""
    options: dict[str, Any] = {"max_connections": max_connections, "read_timeout": read_timeout}
    return type("GuardedH11Protocol", (GuardedH11Protocol,), options)
