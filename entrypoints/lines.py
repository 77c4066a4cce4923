"""JSON lines on stdout, each flushed as it is printed: a run that dies has said what it did."""

from __future__ import annotations

import json


def emit(payload: object) -> None:
    """Print ``payload`` as one JSON line and flush it at once (stdout to a pipe is buffered)."""
    print(json.dumps(payload, ensure_ascii=False), flush=True)
