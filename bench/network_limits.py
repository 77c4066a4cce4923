"""What hostile network clients cost a running ``cis serve``: RSS around four requests declaring
400 MB bodies without a key, and around 5,000 SMTP connections from one address.

    python -m bench.network_limits
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid

BODY = 400 * 1024 * 1024
CONNECTIONS = 5000


def main() -> None:
    """Start ``cis serve`` on free ports, measure, and stop it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, CONNECTIONS + 200)), hard))
    env = {
        **os.environ,
        "CIS_DATA_DIR": tempfile.mkdtemp(prefix="cis-bench-limits-"),
        "CIS_MAIL_DOMAIN": "invites.example",
    }
    command = [sys.executable, "-m", "entrypoints.cli", "serve", "--http-port", "0"]
    server = subprocess.Popen(
        [*command, "--smtp-port", "0"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        where = json.loads(server.stdout.readline())
        print(f"idle: RSS {_rss(server.pid)} MB")
        host, port = where["http"].removeprefix("http://").rsplit(":", 1)
        started, sent = time.monotonic(), 0
        for _ in range(4):
            sent += _post(host, int(port))
        print(
            f"4 bodies declaring {BODY >> 20} MB, no key: RSS {_rss(server.pid)} MB; "
            f"the client could send {sent >> 20} MB in {time.monotonic() - started:.2f} s"
        )
        smtp_host, smtp_port = where["smtp"].rsplit(":", 1)
        started = time.monotonic()
        opened = [
            socket.create_connection((smtp_host, int(smtp_port)), 60) for _ in range(CONNECTIONS)
        ]
        answers: dict[str, int] = {}
        for sock in opened:
            code = sock.makefile("rb").readline()[:3].decode()
            answers[code] = answers.get(code, 0) + 1
        print(
            f"{CONNECTIONS} SMTP connections from one address: {answers} in "
            f"{time.monotonic() - started:.1f} s; RSS {_rss(server.pid)} MB"
        )
        for sock in opened:
            sock.close()
    finally:
        server.terminate()
        server.wait(60)


def _post(host: str, port: int) -> int:
    """Send as much of a keyless 400 MB body as the server reads; return the bytes sent."""
    head = (
        f"POST /v1/invites/{uuid.uuid4()}/recipients HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/json\r\nContent-Length: {BODY}\r\n\r\n"
    )
    block, sent = b"a" * (1 << 20), 0
    with socket.create_connection((host, port), 60) as sock:
        sock.sendall(head.encode())
        try:
            while sent < BODY:
                sock.sendall(block)
                sent += len(block)
        except OSError:
            pass  # the server answered 413 and closed
    return sent


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) // 1024


if __name__ == "__main__":
    main()
