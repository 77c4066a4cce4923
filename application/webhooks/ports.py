"""What webhook delivery needs from the outside: an HTTP client that checks where it connects."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass


class WebhookTransportError(Exception):
    """The request did not get an HTTP answer (refused address, DNS, connect, timeout, TLS)."""

    def __init__(self, reason: str, *, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        # True when the address is one the server must not reach (SSRF), not a network fault.
        self.refused = refused


@dataclass(frozen=True)
class WebhookResponse:
    """The endpoint's HTTP answer: its status and how long it took."""

    status: int
    latency_ms: float


class WebhookTransport(ABC):
    """POSTs signed webhook bodies, only to addresses the server may reach."""

    @abstractmethod
    def refusal(self, url: str) -> str | None:
        """Return why ``url``'s host must not be reached (it resolves to a private, loopback,
        link-local... address where those are refused, or does not resolve), else None."""

    @abstractmethod
    def post(self, url: str, headers: Mapping[str, str], body: bytes) -> WebhookResponse:
        """POST ``body`` to ``url`` (the host checked as :meth:`refusal` does, and connected to
        at the very address checked); raise WebhookTransportError without an HTTP answer."""
