"""The HTTP API behind API Gateway (HTTP API, payload 2.0): the FastAPI app through Mangum.

The app is made on the first request, once per process (and again only if tests swap the
container). Its views are not refreshed per read: the projections function keeps them up
to date from the event table's stream. The app's body limit (``CIS_HTTP_MAX_BODY_BYTES``,
413 before the API key is read) applies here too, under API Gateway's own 10 MB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from entrypoints.aws import runtime
from entrypoints.aws.runtime import logger

if TYPE_CHECKING:
    from mangum import Mangum

    from entrypoints.container import Container


def _adapter(container: Container) -> Mangum:
    """A Mangum adapter over the API of ``container``."""
    from mangum import Mangum

    from entrypoints.api.app import create_app

    return Mangum(create_app(container, views_local=False), lifespan="off")


# This process's Mangum adapter over the API, made on first use.
adapter = runtime.per_container(_adapter)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one API Gateway request."""
    return adapter()(event, context)
