"""Strangers on the network cannot make the server hold what they like: recipients, message
and body sizes, connections, idle and slow clients, and unreadable recipient lists are bounded,
and the server answers other clients meanwhile.

Most tests talk to one real ``cis serve`` with small limits; the idle-timeout and stuck-worker
tests start the real drop box in this process. Timeouts here are hang guards only.
"""

from __future__ import annotations

import json
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import httpx
import pytest
from mangum import Mangum

from adapters.mail.dropbox import DropBox, Limits, SmtpClient
from application.inbound.routing import Mailboxes
from domain.outcomes import Outcome
from entrypoints.api import create_app
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.aws.lambda_events import LambdaContext, http_event
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.serve_process import serving

DOMAIN = "invites.example"
ORGANIZER = "inboxapptest@gmail.com"
INVITE = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
GUARD = 60.0  # seconds: a hang guard, never an expectation
PER_CLIENT, TOTAL, HTTP_CONNECTIONS = 20, 40, 30
MAX_MESSAGE = 4 * 1024 * 1024
BODY_LIMIT = Settings().http_max_body_bytes  # the default is what is tested
HUGE_FIELD = b"email,name\nann@example.org," + b"x" * (1024 * 1024) + b"\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``cis serve`` on free ports with small connection caps; stopped with SIGTERM."""
    data = tmp_path_factory.mktemp("serve")
    settings = {
        "CIS_SMTP_MAX_MESSAGE_BYTES": str(MAX_MESSAGE),
        "CIS_SMTP_MAX_CONNECTIONS_PER_CLIENT": str(PER_CLIENT),
        "CIS_SMTP_MAX_CONNECTIONS": str(TOTAL),
        "CIS_HTTP_MAX_CONNECTIONS": str(HTTP_CONNECTIONS),
        "CIS_HTTP_READ_TIMEOUT": "5",
    }
    with serving(data, settings) as started:
        yield {"smtp": started.smtp, "http": started.http, "key": started.admin_key()}


def smtp(where: tuple[str, int], source: str = "127.0.0.1") -> smtplib.SMTP:
    """An SMTP client from ``source`` (any 127.x address is this machine)."""
    return smtplib.SMTP(*where, timeout=GUARD, source_address=(source, 0))


def wire(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def eventually(read: Callable[[], Any], ok: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + GUARD
    while True:
        value = read()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def first_answer(opened: ExitStack, where: tuple[str, int], source: str) -> bytes:
    """Connect from ``source``, keep the connection open, and return the server's first line."""
    sock = opened.enter_context(closing(socket.create_connection(where, GUARD, (source, 0))))
    return sock.makefile("rb").readline()


def test_recipients_past_the_limit_are_answered_452(server: dict[str, Any]) -> None:
    with smtp(server["smtp"]) as client:
        client.ehlo("client.test")
        assert client.mail(ORGANIZER)[0] == 250
        codes = [client.rcpt(f"create+tag{n}@{DOMAIN}")[0] for n in range(2000)]
        client.rset()
    assert codes.count(250) == Settings().smtp_max_recipients == 100
    assert codes[100:] == [452] * 1900


def test_a_message_over_the_size_limit_is_answered_552(server: dict[str, Any]) -> None:
    with smtp(server["smtp"]) as client:
        client.ehlo("client.test")
        assert client.esmtp_features["size"] == str(MAX_MESSAGE)
        assert client.mail(ORGANIZER)[0] == 250
        assert client.rcpt(f"create@{DOMAIN}")[0] == 250
        code, _ = client.data(b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 5000)
        assert code == 552
        # The session goes on: the next message is taken.
        assert client.sendmail(ORGANIZER, [f"create@{DOMAIN}"], wire(INVITE)) == {}


def test_smtp_connections_past_the_caps_get_421_and_others_are_served(
    server: dict[str, Any],
) -> None:
    where = server["smtp"]
    with ExitStack() as opened:
        crowd = [first_answer(opened, where, "127.0.0.1") for _ in range(3 * PER_CLIENT)]
        assert sum(line.startswith(b"220 ") for line in crowd) == PER_CLIENT
        assert sum(line.startswith(b"421 ") for line in crowd) == 2 * PER_CLIENT
        # Another client is served meanwhile, the whole way.
        with smtp(where, "127.0.0.2") as other:
            assert other.sendmail(ORGANIZER, [f"create@{DOMAIN}"], wire(INVITE)) == {}
        # A second crowd fills the total: then nobody new gets in, but the API still answers.
        second = [first_answer(opened, where, "127.0.0.3") for _ in range(TOTAL - PER_CLIENT)]
        assert all(line.startswith(b"220 ") for line in second)
        assert first_answer(opened, where, "127.0.0.4").startswith(b"421 ")
        assert httpx.get(f"{server['http']}/v1/openapi.json", timeout=GUARD).status_code == 200
    # Once the crowds leave, a newcomer is served again.
    with smtp(where, "127.0.0.4") as newcomer:
        assert newcomer.noop()[0] == 250


def test_http_connections_past_the_cap_get_503_and_slow_ones_are_closed(
    server: dict[str, Any],
) -> None:
    host, port = httpx.URL(server["http"]).host, httpx.URL(server["http"]).port
    assert port is not None
    with ExitStack() as opened:
        crowd = [
            opened.enter_context(closing(socket.create_connection((host, port), GUARD)))
            for _ in range(HTTP_CONNECTIONS + 10)
        ]
        # Accepted in the order they were opened: the first ones in, the rest refused. Half
        # of those let in are slowloris: a request line and one header, then nothing more
        # (never sent to a refused one, whose unread bytes would reset its connection).
        for sock in crowd[1:HTTP_CONNECTIONS:2]:
            sock.sendall(b"GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n")
        # Refused ones are answered at once; the others are closed after the read timeout.
        answers = [sock.makefile("rb").read() for sock in crowd]
    assert all(a.startswith(b"HTTP/1.1 503 ") for a in answers[HTTP_CONNECTIONS:])
    assert answers[:HTTP_CONNECTIONS] == [b""] * HTTP_CONNECTIONS
    assert httpx.get(f"{server['http']}/v1/openapi.json", timeout=GUARD).status_code == 200


def test_a_400_mb_body_without_a_key_is_refused_413_unread(server: dict[str, Any]) -> None:
    url = httpx.URL(server["http"])
    with closing(socket.create_connection((url.host, url.port), GUARD)) as sock:
        sock.sendall(
            f"POST /v1/invites/{uuid4()}/recipients HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {400 * 1024 * 1024}\r\n\r\n".encode()
            + b'{"address": "'
            + b"a" * 1024
        )
        status, body = _response(sock)
    assert status == 413
    assert body["type"] == "urn:calendar-invite-server:problem:too-large"
    assert str(BODY_LIMIT) in body["detail"]


def test_a_chunked_body_past_the_limit_is_refused_413(server: dict[str, Any]) -> None:
    url = httpx.URL(server["http"])
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"a" * 64 * 1024)
    with closing(socket.create_connection((url.host, url.port), GUARD)) as sock:
        sock.sendall(
            f"POST /v1/invites/{uuid4()}/recipients HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        # Just past the limit and no last chunk: only counting can answer this request.
        for _ in range(BODY_LIMIT // (64 * 1024) + 1):
            sock.sendall(chunk)
        status, body = _response(sock)
    assert status == 413
    assert body["status"] == 413


def test_the_lambda_api_has_the_same_body_limit(tmp_path: Path) -> None:
    container = bootstrap(Settings(backend="memory", http_max_body_bytes=64 * 1024))
    api = Mangum(create_app(container, views_local=False), lifespan="off")
    event = http_event(
        "POST",
        f"/v1/invites/{uuid4()}/recipients",
        headers={"content-type": "application/json"},
        body=b'{"address": "' + b"a" * 100_000 + b'"}',
    )
    response = api(event, cast(Any, LambdaContext()))
    assert response["statusCode"] == 413


def test_the_openapi_document_says_413_wherever_a_body_is_taken() -> None:
    app = create_app(bootstrap(Settings(backend="memory")))
    operations = [op for ops in app.openapi()["paths"].values() for op in ops.values()]
    with_body = [op for op in operations if "requestBody" in op]
    assert with_body
    assert all("413" in op["responses"] for op in with_body)


def test_a_csv_with_a_1_mb_field_is_a_problem_on_the_api_and_rejected_on_bulk(
    server: dict[str, Any],
) -> None:
    with smtp(server["smtp"]) as client:
        client.sendmail(ORGANIZER, [f"create@{DOMAIN}"], wire(INVITE))
    headers = {"Authorization": f"Bearer {server['key']}"}
    with httpx.Client(base_url=server["http"], headers=headers, timeout=GUARD) as http:
        listed = eventually(
            lambda: http.get(f"/v1/organizers/{ORGANIZER}/invites").json(),
            lambda body: len(body.get("items", [])) >= 1,
        )
        invite = listed["items"][0]["invite"]
        upload = http.post(
            f"/v1/invites/{invite}/bulk", files={"file": ("guests.csv", HUGE_FIELD, "text/csv")}
        )
    assert upload.status_code == 422, upload.text
    assert upload.headers["content-type"].startswith("application/problem+json")
    assert "field larger than field limit" in upload.json()["detail"]
    # By mail the list is taken (250, not 451 for ever) and rejected (see the next test).
    with smtp(server["smtp"]) as client:
        assert client.sendmail(ORGANIZER, [f"bulk@{DOMAIN}"], list_mail(invite, HUGE_FIELD)) == {}


def test_a_mailed_csv_that_cannot_be_read_is_rejected_with_a_reason(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path, mail_domain=DOMAIN)))
    now = datetime.now(UTC)
    invite = str(from_organizer(service, INVITE, now=now).invite)
    for csv, words in (
        (HUGE_FIELD, "field larger than field limit"),
        (b"email\n" + b"ann@example.org\n" * (Settings().list_max_rows + 1), "rows"),
    ):
        raw = list_mail(invite, csv)
        result = service.ingest(raw, now=now, envelope_to=f"bulk@{DOMAIN}")
        assert result.outcome is Outcome.REJECTED
        assert words in (result.reason or "")
        assert service.blobs.get(result.message) == raw  # kept


def list_mail(invite: str, csv: bytes) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = ORGANIZER, f"bulk@{DOMAIN}"
    message["Subject"] = f"Send {invite}"
    message.set_content("My list.")
    message.add_attachment(csv, maintype="text", subtype="csv", filename="guests.csv")
    return wire(message.as_bytes())


def test_idle_smtp_connections_are_closed_after_the_idle_timeout() -> None:
    limits = Limits(idle_timeout=1.0)
    box = DropBox(lambda *_: None, domain=DOMAIN, mailboxes=Mailboxes(), limits=limits)
    with box, ExitStack() as opened:
        idle = [
            opened.enter_context(closing(socket.create_connection((box.host, box.port), GUARD)))
            for _ in range(10)
        ]
        # The greeting, then nothing: the server closes each one (end of stream).
        assert all(sock.makefile("rb").read().startswith(b"220 ") for sock in idle)


def test_a_stuck_message_is_answered_451_and_abandoned_and_stop_never_waits() -> None:
    release = threading.Event()
    started: list[str] = []

    def stuck(raw: bytes, to: str, sender: str | None, client: SmtpClient) -> None:
        started.append(to)
        release.wait(GUARD)

    limits = Limits(workers=1, ingest_timeout=1.0)
    box = DropBox(stuck, domain=DOMAIN, mailboxes=Mailboxes(), limits=limits)
    box.start()
    try:
        with smtp((box.host, box.port)) as client:
            with pytest.raises(smtplib.SMTPDataError) as first:
                client.sendmail(ORGANIZER, [f"create@{DOMAIN}"], wire(INVITE))
            assert first.value.smtp_code == 451
            # The only worker is still stuck: the next message waits no longer than its
            # budget, and the session is answered all along.
            with pytest.raises(smtplib.SMTPDataError) as second:
                client.sendmail(ORGANIZER, [f"create@{DOMAIN}"], wire(INVITE))
            assert second.value.smtp_code == 451
            assert client.noop()[0] == 250
        assert started == [f"create@{DOMAIN}"]
        stopping = threading.Thread(target=box.stop)
        stopping.start()
        stopping.join(GUARD)
        assert not stopping.is_alive()
        assert not release.is_set()  # stop returned while the worker was still stuck
    finally:
        release.set()
        box.stop()


def _response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    """Read one HTTP response with a Content-Length: its status and JSON body."""
    reader = sock.makefile("rb")
    status = int(reader.readline().split()[1])
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, json.loads(reader.read(length))
