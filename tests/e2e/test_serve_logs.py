"""What ``cis serve`` logs after its JSON line: a line per request and per message received,
never a token; ``cis submit`` mailing it a file with LF line ends."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import CORPUS
from tests.serve_process import DOMAIN, Serving, stop

CLI = (sys.executable, "-m", "entrypoints.cli")
LINK = re.compile(r"https?://[^\s\"'<>/]+(?P<path>/v1/rsvp/(?P<token>[^\s\"'<>/?#]+)[^\s\"'<>]*)")


@contextmanager
def demo_server(
    data: Path, *flags: str, settings: dict[str, str] | None = None
) -> Iterator[tuple[Serving, Path, dict[str, Any]]]:
    """Run ``cis serve --demo`` on ``data``; yield it, the file its stderr goes to (a pipe
    nobody reads would fill up and stall the server) and the JSON line it printed."""
    env = {
        **os.environ,
        "CIS_DATA_DIR": str(data),
        "CIS_MAIL_DOMAIN": DOMAIN,
        # Any port: the invitations then carry RSVP links, whose token is all the test uses.
        "CIS_WEB_BASE_URL": "http://127.0.0.1:9",
        **(settings or {}),
    }
    log = data.parent / f"{data.name}-stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*CLI, "serve", "--demo", "--http-port", "0", "--smtp-port", "0", *flags],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert process.stdout is not None
        where = json.loads(process.stdout.readline())
        host, port = where["smtp"].rsplit(":", 1)
        serving = Serving(process, (host, int(port)), where["http"], env)
        try:
            yield serving, log, where
        finally:
            stop(serving)


def rsvp_link(outbox: Path) -> tuple[str, str]:
    """Return the path of a web RSVP link in an invitation the demo sent, and its token."""
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() in {"text/plain", "text/html"}:
                found = LINK.search(part.get_content())
                if found:
                    return found["path"], found["token"]
    raise AssertionError("no invitation with an RSVP link in the outbox")


def logged(log: Path, ok: Callable[[str], bool], seconds: float = 15.0) -> str:
    """Return the log once ``ok`` holds of it (requests are logged as they end)."""
    deadline = time.monotonic() + seconds
    while True:
        text = log.read_text()
        if ok(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_requests_and_messages_are_logged_one_line_each_without_tokens(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # The corpus is unsigned sample mail: taken under the sender policy for tests.
    with demo_server(data, settings={"CIS_SENDER_POLICY": "off"}) as (server, log, _):
        link, token = rsvp_link(data / "outbox")
        with httpx.Client(base_url=server.http, timeout=10) as http:
            assert http.get(link).status_code == 200
            assert http.get(f"/no/such/{token}").status_code == 404
        # A corpus file as saved on disk, lines ending in LF alone.
        lf_only = tmp_path / "invite.eml"
        raw = (CORPUS / "request/android-email-invite.eml").read_bytes()
        lf_only.write_bytes(raw.replace(b"\r\n", b"\n"))
        host, port = server.smtp
        submitted = subprocess.run(
            [*CLI, "submit", str(lf_only), "--host", host, "--port", str(port)],
            env=server.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        text = logged(log, lambda text: " mail create " in text)
    assert submitted.returncode == 0, submitted.stderr
    answer = json.loads(submitted.stdout)
    assert answer == {
        "source": str(lf_only),
        "to": f"create@{DOMAIN}",
        "code": 250,
        "reply": "OK",
    }
    assert token not in text
    lines = text.splitlines()
    assert any(re.search(r" http GET /v1/rsvp/\{token\} 200 \d+\.\d ms$", ln) for ln in lines)
    assert any(re.search(r" http GET unmatched 404 \d+\.\d ms$", ln) for ln in lines)
    assert any(
        re.search(r" mail create created invite [0-9a-f-]{36} \d+\.\d ms$", ln) for ln in lines
    )


def test_log_json_writes_one_object_per_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with demo_server(data, "--log-json") as (server, log, _):
        link, token = rsvp_link(data / "outbox")
        with httpx.Client(base_url=server.http, timeout=10) as http:
            http.get(link)
        text = logged(log, lambda text: "/v1/rsvp/" in text)
    records: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines() if line]
    request = next(r for r in records if r.get("event") == "http")
    assert request["method"] == "GET"
    assert request["route"] == "/v1/rsvp/{token}"
    assert request["status"] == 200
    assert isinstance(request["ms"], float)
    assert request["logger"] == "cis.http"
    assert token not in text
