"""The HTTP API under load: requests per second and p99 of the real server against a bare
FastAPI endpoint, side by side in one run.

One SQLite data folder holds an invite sent to N recipients (half of them answered), projected
into the views, an organizer's API key and web session. Two servers run in subprocesses that
stop by themselves (when this process closes their stdin, or after a deadline), under the same
uvicorn settings (``entrypoints.server.http_config``):
  - the embedded server as ``cis serve`` runs it (``LocalServer``: the API, the web app, the
    SMTP drop box and the background work) over that folder;
  - a bare FastAPI app with one endpoint answering the same statistics JSON from memory.
A keep-alive HTTP/1.1 load generator (raw asyncio streams, so the client costs little of the
shared CPU) runs each request for a few seconds at each concurrency, rounds alternating:
  - statistics: GET /v1/invites/{id}/statistics with the organizer's API key;
  - attendee page: GET /invites/{id}, the web invite page with its first 50 attendees;
  - web RSVP POST: POST /v1/rsvp/{token}, answers alternating over many recipients' links
    (each records an answer);
  - bare: the bare endpoint.
Targets (req/s as a ratio to the bare endpoint at the same concurrency): statistics >= 0.5x,
attendee page >= 0.4x, web RSVP POST >= 0.25x.
Usage: python -m bench.http_load [--attendees N] [--rounds N] [--seconds S] [--concurrency 1,10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
from eventsourcing.domain import Aggregate

from bench.scratch import scratch
from domain.api_keys import Scope
from domain.attendance import Attendance, Reply
from domain.delivery import Delivery, delivery_id
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.reply_tokens import reply_token
from domain.values import Attendee, Component, EventDetails, Method
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings

ORGANIZER = "organizer@example.com"
START = datetime(2026, 1, 1, tzinfo=UTC)
ANSWERS = ("ACCEPTED", "DECLINED", "TENTATIVE")
LINKS = 2_000  # recipients whose RSVP links the POSTs cycle through
DEADLINE = 20 * 60.0  # a server subprocess stops by itself after this many seconds
TARGETS = {"statistics": 0.5, "attendee page": 0.4, "web RSVP POST": 0.25}
BASE_URL = "http://127.0.0.1:9"  # links and sign-in need one; nothing follows it


@dataclass(frozen=True)
class Seeded:
    """What the requests need: the invite, the organizer's key and the RSVP link tokens."""

    invite: UUID
    api_key: str
    rsvp_tokens: list[str]


def settings_for(folder: Path) -> Settings:
    """Return the settings both the seeding and the served process use."""
    return Settings(data_dir=folder, web_base_url=BASE_URL)


def audience(invite: Invite, secret: bytes, attendees: int) -> Iterator[Aggregate]:
    """Yield each recipient's delivery (sent the current version) and, for half of them, an
    answer, as the sender and the reply path would have stored them."""
    answered = START + timedelta(hours=1)
    for n in range(attendees):
        address = f"guest{n}@example.org"
        token = reply_token(secret, invite.id, address)
        delivery = Delivery(
            token=token,
            invite=invite.id,
            address=address,
            name=None,
            origin="bulk",
            timestamp=START,
        )
        delivery.intend(
            sequence=invite.sequence, method="REQUEST", message_id=f"<{n}@b>", timestamp=START
        )
        delivery.sent(sequence=invite.sequence, where="outbox", timestamp=START)
        assert delivery.id == delivery_id(token)
        yield delivery
        if n % 2 == 0:
            attendance = Attendance(invite=invite.id, address=address, timestamp=START)
            reply = Reply(
                ANSWERS[n % 3],
                answered,
                invite.sequence,
                channel="server",
                prodid="-//Google Inc//Google Calendar 70.9054//EN",
            )
            attendance.record_reply(reply, answered)
            yield attendance


def new_invite() -> Invite:
    """Return the organizer's invite: created, then updated once."""
    uid = "http-load@example.com"
    invite = Invite(organizer=ORGANIZER, organizer_name="Org", uid=uid, timestamp=START)
    for sequence in range(2):
        details = EventDetails(
            summary="All hands",
            start="2026-02-02T10:00:00+01:00",
            end="2026-02-02T11:00:00+01:00",
            location="Main hall",
            attendees=(Attendee("guest0@example.org", None),),
        )
        stamp = START + timedelta(minutes=sequence)
        invite.receive(
            ItipMessage(Method.REQUEST, uid, (Component(sequence, stamp, details=details),)), stamp
        )
    return invite


def seed(container: Container, attendees: int) -> Seeded:
    """Store the invite and its audience, project them into the views, and issue the key and
    the RSVP link tokens."""
    store = container.store()
    secret: bytes = container.sending_settings().secret
    invite = new_invite()
    store.save(invite)
    batch: list[Aggregate] = []
    for aggregate in audience(invite, secret, attendees):
        batch.append(aggregate)
        if len(batch) >= 1000:
            store.save(*batch)
            batch = []
    store.save(*batch)
    container.projections().run()
    now = datetime.now(UTC)
    _, api_key = container.admin().keys.create(Scope.ORGANIZER, ORGANIZER, "bench", now)
    links = container.front_doors().links.rsvp
    tokens = [
        links.token(invite.id, f"guest{n}@example.org", invite.sequence, now)
        for n in range(min(LINKS, attendees))
    ]
    return Seeded(invite.id, api_key, tokens)


# -- the servers, each in a subprocess that stops by itself ---------------------------------


def serve_embedded(folder: Path) -> None:
    """Run the embedded server over ``folder`` as ``cis serve`` does, on a free port."""
    from entrypoints.server import LocalServer

    server = LocalServer(bootstrap(settings_for(folder)), http_port=0, smtp_port=0)
    where = server.start()
    _announce_and_wait(f"http://{where.http[0]}:{where.http[1]}")
    server.stop()


def serve_bare(folder: Path, answer_file: Path) -> None:
    """Run the bare app (one endpoint answering ``answer_file``'s JSON) under the same
    uvicorn settings as the embedded server."""
    import uvicorn
    from fastapi import FastAPI

    from entrypoints.server import http_config

    answer: dict[str, Any] = json.loads(answer_file.read_text())
    app = FastAPI()

    # A plain function, as the API's routes are: FastAPI runs it in its thread pool too.
    @app.get("/bare")
    def bare() -> dict[str, Any]:
        return answer

    server = uvicorn.Server(http_config(app, settings_for(folder), "127.0.0.1", 0))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    _announce_and_wait(f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)


def _announce_and_wait(url: str) -> None:
    """Say where the server listens; return when stdin closes or the deadline passes."""
    print(json.dumps({"http": url}), flush=True)
    closed = threading.Event()

    def watch() -> None:
        sys.stdin.read()  # EOF: the benchmark is done or gone
        closed.set()

    threading.Thread(target=watch, daemon=True).start()
    closed.wait(DEADLINE)


@contextmanager
def subprocess_server(*args: str) -> Iterator[str]:
    """Start ``python -m bench.http_load --serve ...`` and yield its base URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.http_load", "--serve", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            raise SystemExit(f"the server {args[0]} did not start")
        yield str(json.loads(line)["http"])
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# -- the load generator ---------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One kind of request: raw HTTP/1.1 bytes, built once per variant."""

    name: str
    variants: list[bytes]


def get(host: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_form(host: str, path: str, body: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Send one request on a kept-alive connection, read its whole answer; return the status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding":
            raise RuntimeError("a chunked answer: this load generator reads sized ones only")
    await reader.readexactly(length)
    return status


async def _load(url: str, request: Request, concurrency: int, seconds: float) -> list[float]:
    """Run ``request`` on ``concurrency`` connections for ``seconds``; return each latency."""
    where = urlsplit(url)
    variants = cycle(request.variants)
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(where.hostname, where.port)
        try:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                status = await _exchange(reader, writer, next(variants))
                if status >= 400:
                    raise RuntimeError(f"{request.name}: HTTP {status}")
                latencies.append(time.perf_counter() - began)
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies


@dataclass(frozen=True)
class Measure:
    """One run of one request at one concurrency."""

    rate: float  # requests per second
    p99_ms: float


def measure(url: str, request: Request, concurrency: int, seconds: float) -> Measure:
    began = time.perf_counter()
    latencies = asyncio.run(_load(url, request, concurrency, seconds))
    took = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Measure(len(latencies) / took, p99 * 1e3)


def session_cookie(container: Container, url: str) -> str:
    """Sign the organizer in on the running server, as the mailed link would; return the
    session cookie."""
    link = container.sessions().link_for(ORGANIZER, datetime.now(UTC))
    answer = httpx.post(url + urlsplit(link).path, follow_redirects=False)
    cookie = answer.cookies.get("cis_session")
    if cookie is None:
        raise SystemExit(f"sign-in failed: {answer.status_code} {answer.text[:200]}")
    return cookie


def requests_for(seeded: Seeded, app_url: str, bare_url: str, cookie: str) -> dict[str, Any]:
    """Return each request with the server it goes to."""
    app, bare = urlsplit(app_url).netloc, urlsplit(bare_url).netloc
    key = {"Authorization": f"Bearer {seeded.api_key}"}
    # Each link answers in turn with another answer than its last, so every POST records.
    answers = [
        post_form(app, f"/v1/rsvp/{token}", f"answer={answer}")
        for answer in ("declined", "accepted")
        for token in seeded.rsvp_tokens
    ]
    return {
        "bare": (bare_url, Request("bare", [get(bare, "/bare", {})])),
        "statistics": (
            app_url,
            Request("statistics", [get(app, f"/v1/invites/{seeded.invite}/statistics", key)]),
        ),
        "attendee page": (
            app_url,
            Request(
                "attendee page",
                [get(app, f"/invites/{seeded.invite}", {"Cookie": f"cis_session={cookie}"})],
            ),
        ),
        "web RSVP POST": (app_url, Request("web RSVP POST", answers)),
    }


def run(args: argparse.Namespace) -> None:
    levels = [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory(dir=scratch()) as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        container = bootstrap(settings_for(folder))
        seeded = seed(container, args.attendees)
        print(f"seeded {args.attendees} attendees in {time.perf_counter() - began:.1f} s")
        with subprocess_server("embedded", str(folder)) as app_url:
            key = {"Authorization": f"Bearer {seeded.api_key}"}
            answer = httpx.get(f"{app_url}/v1/invites/{seeded.invite}/statistics", headers=key)
            answer.raise_for_status()
            (folder / "bare.json").write_text(answer.text)
            cookie = session_cookie(container, app_url)
            with subprocess_server("bare", str(folder), str(folder / "bare.json")) as bare_url:
                requests = requests_for(seeded, app_url, bare_url, cookie)
                for url, request in requests.values():  # warm: imports, templates, caches
                    measure(url, request, 1, 0.3)
                results: dict[tuple[str, int], list[Measure]] = {}
                for _ in range(args.rounds):
                    for level in levels:
                        for name, (url, request) in requests.items():
                            results.setdefault((name, level), []).append(
                                measure(url, request, level, args.seconds)
                            )
        report(results, levels, args)


def report(
    results: dict[tuple[str, int], list[Measure]], levels: list[int], args: argparse.Namespace
) -> None:
    print(
        f"HTTP load, {args.attendees} attendees, medians of {args.rounds} rounds of "
        f"{args.seconds:g} s each (ratio: req/s / the bare endpoint's, same concurrency)"
    )
    for level in levels:
        bare = statistics.median(m.rate for m in results[("bare", level)])
        bare_p99 = statistics.median(m.p99_ms for m in results[("bare", level)])
        print(f"  concurrency {level}: bare endpoint {bare:7.0f} req/s, p99 {bare_p99:6.1f} ms")
        for name, target in TARGETS.items():
            rates = [m.rate for m in results[(name, level)]]
            rate = statistics.median(rates)
            p99 = statistics.median(m.p99_ms for m in results[(name, level)])
            print(
                f"    {name:14} {rate:7.0f} req/s (spread {min(rates):.0f}-{max(rates):.0f}), "
                f"p99 {p99:6.1f} ms: ratio {rate / bare:.2f}x (target >= {target}x)"
            )


def main() -> None:
    """Seed, start both servers, load each request in turn, print the ratios."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--attendees", type=int, default=10_000)
    options.add_argument("--rounds", type=int, default=3)
    options.add_argument("--seconds", type=float, default=2.5, help="per request and round")
    options.add_argument("--concurrency", default="1,10", help="comma-separated levels")
    options.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.serve:
        kind, *paths = args.serve
        if kind == "embedded":
            serve_embedded(Path(paths[0]))
        else:
            serve_bare(Path(paths[0]), Path(paths[1]))
        return
    run(args)


if __name__ == "__main__":
    main()
