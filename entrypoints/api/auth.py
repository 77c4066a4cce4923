"""Who a request speaks for: ``Authorization: Bearer <token>`` or ``X-API-Key: <token>``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from application.vocabulary import Principal
from entrypoints.api.problems import ProblemError
from entrypoints.api.state import ApiState, api_state

bearer = HTTPBearer(auto_error=False, description="An API key: cis_<key id>_<secret>.")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


def unauthorized(detail: str) -> ProblemError:
    """Return the 401 problem, with the challenge RFC 9110 asks for."""
    return ProblemError(
        401, detail, kind="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="cis"'}
    )


async def authenticated(
    state: Annotated[ApiState, Depends(api_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    header_key: Annotated[str | None, Depends(api_key_header)],
) -> Principal:
    """Return the principal of the request's API key; raise a 401 problem without a valid one.

    Run on the event loop, not in the thread pool: it is one indexed read of the key, shorter
    than the hand-off to a worker thread and back that a plain function would cost every
    authenticated request.
    """
    token = credentials.credentials if credentials is not None else header_key
    if not token:
        raise unauthorized("send an API key: Authorization: Bearer <key> or X-API-Key: <key>")
    principal = state.doors.admin.keys.authenticate(token.strip(), datetime.now(UTC))
    if principal is None:
        raise unauthorized("the API key is not valid (unknown, malformed or revoked)")
    return principal


Caller = Annotated[Principal, Depends(authenticated)]
State = Annotated[ApiState, Depends(api_state)]
