"""The webhook transport: HTTP POSTs (standard library), only to addresses the server may reach.

Server-side request forgery is the risk of any "call this URL" feature: a URL naming
``169.254.169.254`` (cloud metadata), ``127.0.0.1`` or a private network would let whoever
registers an endpoint reach what only the server can. So the host is resolved, every address
it resolves to is checked (``domain.webhooks.refused_address``), and the connection is made to
the very address checked, not resolved again (DNS rebinding); TLS still verifies the
certificate against the URL's host name. The check runs at registration and at every
delivery, because DNS changes. Redirects are not followed (a 3xx is a failed attempt), the
answer's body is read only up to a cap, and connect and read have timeouts.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from application.webhooks.ports import WebhookResponse, WebhookTransport, WebhookTransportError
from domain.webhooks import refused_address

Resolve = Callable[[str, int], list[str]]
# What is read of an answer: only its status matters, the body is drained up to this.
MAX_RESPONSE_BYTES = 64 * 1024


def system_resolve(host: str, port: int) -> list[str]:
    """Return the addresses ``host`` resolves to (IPv4 and IPv6), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _connected(address: str, port: int, timeout: float | None) -> socket.socket:
    """Return a TCP connection to ``address``, without Nagle's delay (as http.client's own
    connect does): headers and body go in two writes, and the second would otherwise wait
    for the first's acknowledgement, some 40 ms a request."""
    sock = socket.create_connection((address, port), timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _PinnedHttp(http.client.HTTPConnection):
    """An HTTP connection to a checked address, whatever the URL's host resolves to now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = _connected(self.address, self.port, self.timeout)


class _PinnedHttps(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address; the certificate is checked against the host."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls = context

    def connect(self) -> None:
        raw = _connected(self.address, self.port, self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


class HttpWebhookTransport(WebhookTransport):
    """POSTs with the standard library's http.client, pinned to checked addresses.

    ``allow_private``: addresses of this machine and private networks may be reached (the
    embedded default's ``CIS_WEBHOOKS_ALLOW_PRIVATE``; never on AWS).
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        resolve: Resolve = system_resolve,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.resolve = resolve
        self.tls = tls or ssl.create_default_context()

    def refusal(self, url: str) -> str | None:
        """Return why ``url``'s host must not be reached, else None."""
        try:
            self._address(url)
        except WebhookTransportError as error:
            return error.reason
        return None

    def _address(self, url: str) -> tuple[str, int, str]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = self.resolve(host, port)
        except (OSError, UnicodeError) as error:
            raise WebhookTransportError(f"{host} does not resolve: {error}") from None
        if not addresses:
            raise WebhookTransportError(f"{host} does not resolve")
        if not self.allow_private:
            for address in addresses:
                reason = refused_address(address)
                if reason is not None:
                    raise WebhookTransportError(f"{host}: {reason}", refused=True)
        return host, port, addresses[0]

    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> WebhookResponse:
        """POST ``body``; return the status and latency, or raise WebhookTransportError."""
        parts = urlsplit(url)
        host, port, address = self._address(url)
        started = time.perf_counter()
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = _PinnedHttps(host, port, address, self.connect_timeout, self.tls)
        else:
            connection = _PinnedHttp(host, port, address, self.connect_timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(self.read_timeout)
            connection.request("POST", target, body=body, headers=dict(headers))
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            raise WebhookTransportError(f"{type(error).__name__}: {error}") from None
        finally:
            connection.close()
        return WebhookResponse(status, (time.perf_counter() - started) * 1000)
