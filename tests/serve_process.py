"""A real ``cis serve`` process on free 127.0.0.1 ports, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOMAIN = "invites.example"
_CLI = (sys.executable, "-m", "entrypoints.cli")


@dataclass(frozen=True)
class Serving:
    """A started server: its process, where it listens and the environment it runs with."""

    process: subprocess.Popen[str]
    smtp: tuple[str, int]
    http: str
    env: dict[str, str]
    # The web app's sign-in page, as the JSON line names it.
    web: str = ""

    def admin_key(self) -> str:
        """Return a new admin API key for this server's data folder."""
        made = subprocess.run(
            [*_CLI, "keys", "create", "--admin"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return made.stdout.strip().splitlines()[-1].strip()


def start(data: Path, settings: Mapping[str, str] | None = None) -> Serving:
    """Start ``cis serve`` on ``data`` with extra CIS_ ``settings``; return once it listens."""
    env = {**os.environ, "CIS_DATA_DIR": str(data), "CIS_MAIL_DOMAIN": DOMAIN, **(settings or {})}
    process = subprocess.Popen(
        [*_CLI, "serve", "--http-port", "0", "--smtp-port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    where = json.loads(process.stdout.readline())
    host, port = where["smtp"].rsplit(":", 1)
    return Serving(process, (host, int(port)), where["http"], env, where["web"])


def stop(serving: Serving, timeout: float = 30) -> None:
    """Stop the server as an operator would (SIGTERM), killing it if it does not stop."""
    if serving.process.poll() is not None:
        return
    serving.process.send_signal(signal.SIGTERM)
    try:
        serving.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        serving.process.kill()
        serving.process.wait()


@contextmanager
def serving(data: Path, settings: Mapping[str, str] | None = None) -> Iterator[Serving]:
    """Run ``cis serve`` on ``data`` for the ``with`` block."""
    started = start(data, settings)
    try:
        yield started
    finally:
        stop(started)
