"""The request body limit, applied outside the app: before any route reads a body or checks
an API key, so a stranger's body costs at most the limit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.api.problems import PROBLEM_JSON, problem_type


@dataclass
class _Tally:
    """What one request's body has come to so far."""

    received: int = 0
    refused: bool = False
    started: bool = False


class BodyLimit:
    """Answers 413 to a request whose declared length is over ``max_bytes`` without reading
    it, and to a streamed (chunked) one as soon as what arrived passes ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            await self._refuse(scope, send)
            return
        tally = _Tally()

        async def counted_receive() -> Message:
            if tally.refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                tally.received += len(message.get("body", b""))
                if tally.received > self.max_bytes:
                    # Answer now and tell the app the client left: it stops reading, and
                    # whatever it answers after is dropped (guarded_send).
                    tally.refused = True
                    if not tally.started:
                        await self._refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if tally.refused:
                return
            if message["type"] == "http.response.start":
                tally.started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps(
            {
                "type": problem_type("too-large"),
                "title": "Content Too Large",
                "status": 413,
                "detail": f"a request body may have at most {self.max_bytes} bytes",
                "instance": scope.get("path", ""),
            }
        ).encode()
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            # The rest of the body is never read: the connection cannot carry another request.
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def document_body_limit(app: FastAPI) -> None:
    """Add the limit's 413 problem to every operation of ``app``'s OpenAPI that takes a body."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            too_large = {
                "description": "Content Too Large",
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
            for operations in generate()["paths"].values():
                for operation in operations.values():
                    if "requestBody" in operation:
                        operation["responses"].setdefault("413", too_large)
        return generate()  # FastAPI keeps the document it made: this is the one changed

    app.openapi = openapi  # type: ignore[method-assign]


def _declared_length(scope: Scope) -> int:
    """Return the request's Content-Length, or 0 when it has none (or an unusable one)."""
    headers: Any = scope.get("headers", ())
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
