"""Reads from the views: who may read an invite is told by its summary view, and the web
RSVP reads only what it writes, yet always speaks of the invite as it is stored now."""

from __future__ import annotations

import smtplib
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import httpx
from fastapi.testclient import TestClient

from application.admin.keys import Scope
from application.send_types import Recipient
from domain.attendance import Attendance
from domain.identity import attendance_id
from entrypoints.api import create_app
from entrypoints.api.state import VIEWS_PENDING_HEADER
from entrypoints.container import Container, bootstrap
from entrypoints.server import LocalServer
from entrypoints.settings import Settings
from tests.api.conftest import OTHER, SEQ0, SEQ1, ingest, invite_ics, key, new_container
from tests.driver import driver

ORGANIZER = "inboxapptest@gmail.com"
ANN = "ann@example.org"


def embedded(tmp_path: Path) -> Container:
    """Return a server on the embedded default (SQLite), with web links to the test client."""
    settings = Settings(
        data_dir=tmp_path / "data", mail_domain="invites.example", web_base_url="http://testserver"
    )
    return bootstrap(settings)


def test_an_invites_readers_are_told_by_its_summary_view(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    mine = ingest(container, SEQ0.read_bytes())
    theirs = ingest(container, invite_ics("rival@x", OTHER, "20300101T100000Z"))
    container.projections().run()
    keys = {
        "organizer": key(container, Scope.ORGANIZER, ORGANIZER),
        "rival": key(container, Scope.ORGANIZER, OTHER),
        "domain": key(container, Scope.DOMAIN, "gmail.com"),
        "admin": key(container, Scope.ADMIN, None),
    }
    with TestClient(create_app(container)) as client:

        def status(who: str, path: str) -> int:
            answer = client.get(path, headers={"Authorization": f"Bearer {keys[who]}"})
            return int(answer.status_code)

        for path in ("", "/statistics", "/attendees"):
            assert status("organizer", f"/v1/invites/{mine}{path}") == 200
            assert status("domain", f"/v1/invites/{mine}{path}") == 200
            assert status("admin", f"/v1/invites/{theirs}{path}") == 200
            # Another organizer's invite, and one that does not exist, answer alike.
            assert status("organizer", f"/v1/invites/{theirs}{path}") == 404
            assert status("rival", f"/v1/invites/{mine}{path}") == 404
            assert status("admin", f"/v1/invites/{uuid4()}{path}") == 404


def test_an_invite_readers_may_see_once_its_views_have_it(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    invite = ingest(container, SEQ0.read_bytes())
    auth = {"Authorization": f"Bearer {key(container, Scope.ORGANIZER, ORGANIZER)}"}
    with TestClient(create_app(container)) as client:
        # Stored but not yet projected: the read answers from the views, writing nothing.
        assert client.get(f"/v1/invites/{invite}/statistics", headers=auth).status_code == 404
        container.projections().run()  # what the embedded server's background round does
        answer = client.get(f"/v1/invites/{invite}/statistics", headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["invite"] == str(invite)


def test_the_web_invite_page_reads_one_summary_and_the_invites_own_history(
    tmp_path: Path,
) -> None:
    container = embedded(tmp_path)
    invite = ingest(container, SEQ0.read_bytes())
    ingest(container, SEQ1.read_bytes())
    container.projections().run()
    link = container.sessions().link_for(ORGANIZER, datetime.now(UTC))
    with TestClient(create_app(container)) as client:
        client.post(urlsplit(link).path, follow_redirects=False)
        page = client.get(f"/invites/{invite}")
    assert page.status_code == 200, page.text
    # Both versions are in the history, newest first, as the invite's stream holds them.
    assert page.text.index("Updated") < page.text.index("Scheduled") < page.text.index("Created")


def test_a_web_rsvp_speaks_of_the_invite_as_stored_now(tmp_path: Path) -> None:
    container = embedded(tmp_path)
    now = datetime.now(UTC)
    service = driver(container)
    invite = ingest(container, SEQ0.read_bytes(), now=now)
    service.send(str(invite), [Recipient(ANN)], now=now)
    links = container.front_doors().links.rsvp
    first = links.token(invite, ANN, 0, now)

    accepted = links.answer(first, "accepted", now)
    assert accepted.outcome == "rsvp"
    assert accepted.event is not None
    assert "Olympia" in (accepted.event.location or "")

    # The organizer moves the event and the server sends the new version: the link to the
    # old one is kept in history but no longer counts, and the pages say where it is now,
    # though nothing has projected the change into the views.
    later = now + timedelta(minutes=1)
    ingest(container, SEQ1.read_bytes(), now=later)
    service.send(str(invite), [Recipient(ANN)], now=later)
    question = links.question(first, "declined", later)
    assert question.current is False
    assert question.event is not None
    assert "Zenith" in (question.event.location or "")
    declined = links.answer(first, "declined", later)
    assert declined.outcome == "stale"
    assert declined.event is not None
    assert "Zenith" in (declined.event.location or "")

    stream = container.store().load(Attendance, attendance_id(invite, ANN))
    assert stream is not None
    assert [r.partstat for r in stream.replies.values()] == ["DECLINED"]


def test_a_web_rsvp_for_an_unknown_invite_is_refused_and_records_nothing(
    tmp_path: Path,
) -> None:
    container = new_container(tmp_path)
    now = datetime.now(UTC)
    links = container.front_doors().links.rsvp
    stranger = uuid4()
    token = links.token(stranger, ANN, 0, now)
    with TestClient(create_app(container)) as client:
        answer = client.post(f"/v1/rsvp/{token}", data={"answer": "accepted"})
    assert answer.status_code == 400
    assert "does not know" in answer.text
    assert container.store().load(Attendance, attendance_id(stranger, ANN)) is None


def test_action_pages_are_authorized_from_the_summary_view(tmp_path: Path) -> None:
    container = embedded(tmp_path)
    mine = ingest(container, SEQ0.read_bytes())
    ingest(container, invite_ics("rival@x", OTHER, "20300101T100000Z"))
    container.projections().run()
    board = ingest(container, invite_ics("board@x", ORGANIZER, "20300102T100000Z", "Board"))
    now = datetime.now(UTC)
    organizer, rival = TestClient(create_app(container)), TestClient(create_app(container))
    with organizer, rival:
        for client, who in ((organizer, ORGANIZER), (rival, OTHER)):
            link = container.sessions().link_for(who, now)
            client.post(urlsplit(link).path, follow_redirects=False)

        # Not projected yet: a page that only shows answers from the views as they are.
        assert organizer.get(f"/invites/{board}/cancel").status_code == 404
        container.projections().run()
        page = organizer.get(f"/invites/{board}/cancel")
        assert page.status_code == 200, page.text
        assert "Board" in page.text
        # Another organizer's invite does not exist for them.
        assert rival.get(f"/invites/{mine}/cancel").status_code == 404
        assert organizer.get(f"/invites/{mine}/cancel").status_code == 200


def test_the_embedded_server_shows_an_invite_mailed_to_it_without_anyone_projecting(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", sender_policy="off", parse_budget=0)
    container = bootstrap(settings)
    auth = {"Authorization": f"Bearer {key(container, Scope.ORGANIZER, ORGANIZER)}"}
    server = LocalServer(container, http_port=0, smtp_port=0)
    where = server.start()
    try:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = ORGANIZER, settings.create_address, "Gig"
        mail.set_content(SEQ0.read_text(encoding="utf-8"), subtype="calendar")
        with smtplib.SMTP(*where.smtp) as smtp:
            smtp.send_message(mail)
        base = f"http://{where.http[0]}:{where.http[1]}/v1"
        listed: list[dict[str, str]] = []
        # The server's own background round brings the views up to date (every 0.2 s): the
        # reads, which never project, find the invite without this test running anything.
        deadline = time.monotonic() + 10
        while not listed and time.monotonic() < deadline:
            time.sleep(0.05)
            listed = httpx.get(f"{base}/organizers/{ORGANIZER}/invites", headers=auth).json()[
                "items"
            ]
        assert listed, "the mailed invite never reached the views"
        stats = httpx.get(f"{base}/invites/{listed[0]['invite']}/statistics", headers=auth)
    finally:
        server.stop()
    assert stats.status_code == 200, stats.text
    assert VIEWS_PENDING_HEADER in stats.headers  # it says how far its views lag
