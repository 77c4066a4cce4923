"""Webhook fan-out: one event to 100 endpoints, deliveries per second, as a ratio to a bare
loop of signed POSTs to the same receiver in the same run.

The server side is the embedded default (SQLite event store and views in a scratch folder):
100 endpoints of one organizer, a receiver on 127.0.0.1 answering 204 (each endpoint its own
path). Each round ingests one new invite (not timed), then times one background round
(``Webhooks.run``: the log read, the fan-out recording 100 messages with their log entries,
100 signed deliveries with their SSRF checks and recorded attempts). The bare loop, timed in the
same round, signs and POSTs 100 bodies of the same size with http.client, one connection
each, and records nothing: what the network and the receiver cost alone. Rounds alternate so
machine noise hits both alike; medians are printed.
Usage: python -m bench.webhooks [--endpoints N] [--rounds N] [--workers N]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from application.vocabulary import Principal, Scope
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.invite_mail import ALICE, calendar, email_of

# Each delivery writes three facts to a durable store (the message, its log entry, the
# attempt) that the bare loop does not, but its POSTs run a few at once: the server keeps at
# least half the bare loop's rate.
TARGET = 0.5


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count: Any = None  # a multiprocessing.Value shared with the benchmark

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        with _Receiver.count.get_lock():
            _Receiver.count.value += 1
        self.send_response(204)
        self.send_header("content-length", "0")
        self.send_header("connection", "close")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


def _serve(count: Any, ports: Any) -> None:
    """The receiver, in a process of its own (as an endpoint is: not sharing our GIL)."""
    _Receiver.count = count
    # A listen backlog for the deliveries at once (the default 5 drops connections, which
    # then wait a second for TCP to try again).
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    ports.put(server.server_address[1])
    server.serve_forever()


def bare_loop(port: int, endpoints: int, body: bytes, key: bytes) -> float:
    """POST ``endpoints`` signed bodies one after another; return the seconds taken."""
    started = time.perf_counter()
    for number in range(endpoints):
        stamp = str(int(time.time()))
        webhook_id = f"msg_bare{number}"
        signed = f"{webhook_id}.{stamp}.".encode() + body
        signature = "v1," + hmac.new(key, signed, hashlib.sha256).hexdigest()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request(
            "POST",
            f"/hook/{number}",
            body=body,
            headers={
                "content-type": "application/json",
                "webhook-id": webhook_id,
                "webhook-timestamp": stamp,
                "webhook-signature": signature,
            },
        )
        response = connection.getresponse()
        response.read()
        connection.close()
        assert response.status == 204
    return time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workers", type=int, default=8, help="deliveries at once per round")
    args = parser.parse_args()

    received = multiprocessing.Value("i", 0)
    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(received, ports), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    folder = Path(tempfile.mkdtemp(prefix="cis-bench-webhooks-"))
    settings = Settings(
        backend="embedded",
        data_dir=folder,
        sender_policy="off",
        parse_budget=0,
        webhooks_allow_private=True,
        mail_domain="invites.example",
    )
    os.environ.setdefault("CIS_DNS_ZONE_FILE", str(_empty_zone(folder)))
    container = bootstrap(settings)
    inbound = container.inbound()
    webhooks = container.webhooks()
    webhooks.rounds.workers = args.workers
    owner = Principal(Scope.ORGANIZER, ALICE, "bench")
    start = datetime.now(UTC)
    for number in range(args.endpoints):
        url = f"http://127.0.0.1:{port}/hook/{number}"
        webhooks.register(owner, url, ["invite.created"], start)
    webhooks.run(datetime.now(UTC))  # the log read once: rounds then read only what is new

    ours: list[float] = []
    bare: list[float] = []
    idle: list[float] = []
    # A body the size of an invite.created payload (about 330 bytes).
    body = json.dumps({"type": "invite.created", "data": {"x": "y" * 260}}).encode()
    for number in range(args.rounds):
        raw = email_of(calendar(uid=f"bench-{number}@example.com"), ALICE)
        result = inbound.ingest(raw, now=datetime.now(UTC), envelope_to="create@invites.example")
        assert result.invite is not None, result
        before = received.value
        started = time.perf_counter()
        done = webhooks.run(datetime.now(UTC))
        took = time.perf_counter() - started
        assert done.fanned_out == args.endpoints, done
        assert done.delivered == args.endpoints, done
        assert received.value - before == args.endpoints
        ours.append(args.endpoints / took)
        # A round with nothing new: what the background work costs every second when idle.
        started = time.perf_counter()
        webhooks.run(datetime.now(UTC))
        idle.append(time.perf_counter() - started)
        bare.append(args.endpoints / bare_loop(port, args.endpoints, body, os.urandom(32)))

    rate, bare_rate = statistics.median(ours), statistics.median(bare)
    ratio = statistics.median(o / b for o, b in zip(ours, bare, strict=True))
    print(
        f"webhooks: one event to {args.endpoints} endpoints on 127.0.0.1, embedded SQLite, "
        f"{args.workers} deliveries at once, {args.rounds} rounds, medians"
    )
    print(
        f"  fan-out + signed deliveries, recorded  {rate:8.0f} deliveries/s  "
        f"{1000 * args.endpoints / rate:7.1f} ms per event"
    )
    print(
        f"  bare loop of signed POSTs              {bare_rate:8.0f} deliveries/s  "
        f"{1000 * args.endpoints / bare_rate:7.1f} ms"
    )
    print(f"  a round with nothing new               {1000 * statistics.median(idle):8.2f} ms")
    print(f"ratio (median of per-round ratios; target >= {TARGET}x): {ratio:.2f}x")
    server.terminate()


def _empty_zone(folder: Path) -> Path:
    # Sender checks never ask the network's DNS here (the bench's mail is unsigned anyway).
    zone = folder / "zone.json"
    zone.write_text("{}\n")
    return zone


if __name__ == "__main__":
    main()
