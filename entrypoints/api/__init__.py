"""The HTTP API (FastAPI): ``create_app(container)``."""

from entrypoints.api.app import create_app

__all__ = ["create_app"]
