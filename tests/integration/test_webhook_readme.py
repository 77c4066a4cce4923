"""The README's example of checking a webhook signature (standard library only) is run as
written against a real delivery, so the example people copy is known to work."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.fakes import deliver, request
from tests.integration.test_webhooks import ALICE, doors, service
from tests.webhook_receiver import receiver

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verify() -> Callable[..., bool]:
    """Return the ``verify`` function of the README's example, executed as written."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- webhook-verify-example -->\n```python\n(.*?)```", text, re.DOTALL)
    assert found, "the README lost its webhook verification example"
    scope: dict[str, Any] = {}
    exec(compile(found.group(1), "README.md", "exec"), scope)
    verify: Callable[..., bool] = scope["verify"]
    return verify


def test_the_readme_example_verifies_a_real_delivery() -> None:
    verify = readme_verify()
    app = service()
    webhooks = doors(app)
    now = datetime.now(UTC)
    with receiver() as hook:
        endpoint, secret = webhooks.register(ALICE, hook.url, ["invite.created"], now)
        hook.secrets.append(secret)
        deliver(app, request(), now=now)
        webhooks.run(now)
        _, newest = webhooks.rotate(ALICE, endpoint.key, now)
    (received,) = hook.received
    assert received.verified  # standardwebhooks agrees
    assert verify(secret, received.headers, received.body)
    assert not verify(newest, received.headers, received.body)
    assert not verify(secret, received.headers, received.body + b" ")
    stale = dict(received.headers, **{"webhook-timestamp": str(received.timestamp - 3600)})
    assert not verify(secret, stale, received.body)
