"""``cis serve`` as a person runs it: a real process, mail over SMTP, reads over HTTP."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.mail.outbox import OutboxFolderMailer
from tests.conftest import CORPUS
from tests.replies import answer, invitation_calendar
from tests.serve_process import DOMAIN, serving

ORGANIZER = "inboxapptest@gmail.com"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with serving(tmp_path) as started:
        host, port = started.smtp
        where = {"smtp": f"{host}:{port}", "http": started.http, "web": started.web}
        yield {**where, "key": started.admin_key(), "data": tmp_path}


def mail(where: dict[str, Any], raw: bytes, sender: str, to: str) -> None:
    host, port = where["smtp"].rsplit(":", 1)
    # On the wire lines end in CRLF (RFC 5321); smtplib leaves bytes as they are.
    wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with smtplib.SMTP(host, int(port), timeout=10) as smtp:
        smtp.sendmail(sender, [to], wire)


def eventually(read: Any, ok: Any, seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_an_invite_mailed_in_is_sent_answered_and_counted(server: dict[str, Any]) -> None:
    assert server["smtp"].startswith("127.0.0.1:")
    assert server["http"].startswith("http://127.0.0.1:")
    assert server["web"] == server["http"] + "/sign-in"
    assert httpx.get(server["web"], timeout=10).status_code == 200
    headers = {"Authorization": f"Bearer {server['key']}"}
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    mail(server, raw, ORGANIZER, f"create@{DOMAIN}")
    with httpx.Client(base_url=server["http"], headers=headers, timeout=10) as http:
        listed = eventually(
            lambda: http.get(f"/v1/organizers/{ORGANIZER}/invites").json(),
            lambda body: len(body.get("items", [])) == 1,
        )
        invite = listed["items"][0]["invite"]
        for guest in ("ann@example.org", "ben@example.org"):
            sent = http.post(f"/v1/invites/{invite}/recipients", json={"address": guest})
            assert sent.status_code == 200, sent.text
            assert sent.json()["outcome"] == "sent"
        outbox = OutboxFolderMailer(server["data"] / "outbox").entries()
        copy = next(e for e in outbox if e.method and "ann@example.org" in e.to)
        calendar = invitation_calendar(copy.path.read_bytes())
        assert calendar is not None
        reply, address = answer(calendar, "ann@example.org", "ACCEPTED")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "ann@example.org", address, "Accepted"
        message.add_attachment(
            reply, maintype="text", subtype="calendar", params={"method": "REPLY"}
        )
        mail(server, message.as_bytes(), "ann@example.org", address)
        statistics = eventually(
            lambda: http.get(f"/v1/invites/{invite}/statistics").json(),
            lambda body: body.get("by_status", {}).get("accepted") == 1,
        )
    assert statistics["invited"] == 2
    assert statistics["by_status"]["accepted"] == 1
    assert statistics["by_status"]["no answer"] == 1
    assert parseaddr(copy.to)[1] == "ann@example.org"
