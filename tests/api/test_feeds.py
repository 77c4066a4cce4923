"""Subscription feeds as a calendar app meets them: a signed URL polled over HTTP.

Through the real composition root and API: the feed parses in ical.js (Thunderbird's reader,
run with Node) and in ``ics`` (a Python reader not built on icalendar); its events carry the
UIDs and SEQUENCEs of the invitations mailed for the same invites (outbox), no attendee and no
reply token; it answers 304 while unchanged and 200 with a new ETag after a change; a
cancelled event stays as STATUS:CANCELLED; a wrong or rotated signature is a 404; reads are
counted in the statistics.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import ics
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from adapters.mail.outbox import OutboxFolderMailer
from application.admin.keys import Scope
from application.send_types import Recipient
from entrypoints.api import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from tests.api.conftest import caught_up, ingest, key
from tests.driver import driver
from tests.interop.readers import NODE_DIR
from tests.render_reference import calendar_part

WEB = "https://invites.example.com"
ANN = "ann@example.org"  # an organizer
ZOE = "zoe@example.org"  # another organizer of the same domain
BOB = "bob@example.com"  # a recipient
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def event_ics(
    uid: str,
    *,
    organizer: str = ANN,
    start: str = "20400301T100000",
    title: str = "Board meeting",
    sequence: int = 0,
    cancel: bool = False,
) -> bytes:
    """Return an organizer's invite (or cancellation) in Paris time."""
    method, status = ("CANCEL", "CANCELLED") if cancel else ("REQUEST", "CONFIRMED")
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Feed test//EN",
        "VERSION:2.0",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:202611{21 + sequence:02d}T090000Z",
        f"DTSTART;TZID=Europe/Paris:{start}",
        f"DTEND;TZID=Europe/Paris:{start[:9]}{int(start[9:11]) + 1:02d}0000",
        f"SEQUENCE:{sequence}",
        f"SUMMARY:{title}",
        f"ORGANIZER;CN=Ann Organizer:mailto:{organizer}",
        f"ATTENDEE;RSVP=TRUE:mailto:{BOB}",
        f"STATUS:{status}",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


@dataclass
class Server:
    """A running API over a memory-backed server, with keys and its outbox."""

    client: TestClient
    container: Container
    outbox: Path
    ann: str  # Ann's organizer key
    zoe: str
    owner: str  # example.org's domain key
    admin: str

    def feed_link(self, path: str, token: str) -> dict[str, str]:
        response = self.client.get(path, headers=_auth(token))
        assert response.status_code == 200, response.text
        link: dict[str, str] = response.json()
        return link

    def fetch(self, url: str, **headers: str) -> httpx.Response:
        """GET a feed URL the API handed out (its path and query, under WEB)."""
        assert url.startswith(WEB + "/v1/feeds/")
        parts = urlsplit(url)
        response: httpx.Response = self.client.get(f"{parts.path}?{parts.query}", headers=headers)
        return response

    def mails_to(self, address: str, method: str) -> list[bytes]:
        """Return the calendars of the invitations of ``method`` sent to ``address``."""
        entries = OutboxFolderMailer(self.outbox).entries()
        return [
            calendar_part(e.path.read_bytes())
            for e in entries
            if address in e.to and e.method == method
        ]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = Settings(
        backend="memory",
        mail_domain="invites.example",
        data_dir=tmp_path / "data",
        web_base_url=WEB,
    )
    container = bootstrap(settings)
    client = caught_up(TestClient(create_app(container)), container)
    with client:
        yield Server(
            client=client,
            container=container,
            outbox=settings.outbox_path,
            ann=key(container, Scope.ORGANIZER, ANN),
            zoe=key(container, Scope.ORGANIZER, ZOE),
            owner=key(container, Scope.DOMAIN, "example.org"),
            admin=key(container, Scope.ADMIN, None),
        )


def _icaljs(feed: bytes) -> dict[str, Any]:
    """Return what ical.js reads in ``feed``: its METHOD and name, and each VEVENT."""
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "ical.js").is_dir():
        pytest.fail("the interop tests need Node.js and ical.js: see README, Interop")
    script = """
import ICAL from "ical.js";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    summary: event.summary,
    start: event.startDate.toJSDate().toISOString(),
    zone: event.startDate.zone ? event.startDate.zone.tzid : null,
    attendees: vevent.getAllProperties("attendee").length,
    organizer: vevent.getAllProperties("organizer").length,
  };
});
console.log(JSON.stringify({
  method: calendar.getFirstPropertyValue("method"),
  name: calendar.getFirstPropertyValue("x-wr-calname"),
  refresh: String(calendar.getFirstPropertyValue("refresh-interval")),
  zones: calendar.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")),
  events,
}));
"""
    done = subprocess.run(  # our own script; the feed goes in on stdin
        [node, "--input-type=module", "-e", script],
        input=feed,
        capture_output=True,
        check=True,
        timeout=60,
        cwd=NODE_DIR,
    )
    read: dict[str, Any] = json.loads(done.stdout)
    return read


def _uid_sequence(calendar: bytes) -> tuple[str, int]:
    """Return the UID and SEQUENCE of the calendar's first event."""
    event = Calendar.from_ical(calendar).walk("VEVENT")[0]
    return str(event["UID"]), int(str(event["SEQUENCE"]))


def test_a_feed_carries_the_invitations_uids_and_reads_in_icaljs_and_ics(server: Server) -> None:
    sent = ingest(server.container, event_ics("board-1"), now=NOW)
    ingest(server.container, event_ics("lunch-2", start="20400302T120000", title="Lunch"), now=NOW)
    driver(server.container).send(str(sent), [Recipient(BOB)], now=NOW)

    link = server.feed_link(f"/v1/organizers/{ANN}/feed", server.ann)
    assert link["webcal_url"] == "webcal://" + link["url"].removeprefix("https://")
    response = server.fetch(link["url"])

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    body = response.content
    assert b"ATTENDEE" not in body
    assert b"ORGANIZER" not in body
    assert b"rsvp+" not in body
    assert BOB.encode() not in body
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body

    read = _icaljs(body)
    assert read["method"] == "PUBLISH"
    assert read["name"] == "Events by Ann Organizer"
    assert read["refresh"] == "PT1H"
    assert read["zones"] == ["Europe/Paris"]
    events = {e["summary"]: e for e in read["events"]}
    assert set(events) == {"Board meeting", "Lunch"}
    board = events["Board meeting"]
    assert board["start"] == "2040-03-01T09:00:00.000Z"  # 10:00 in Paris, winter time
    assert board["zone"] == "Europe/Paris"
    assert board["attendees"] == 0
    assert board["organizer"] == 0
    (invitation,) = server.mails_to(BOB, "REQUEST")
    assert (board["uid"], board["sequence"]) == _uid_sequence(invitation)

    # ics parses on its own grammar (tatsu), not on icalendar.
    parsed = ics.Calendar(body.decode())
    by_uid = {e.uid: e for e in parsed.events}
    assert set(by_uid) == {e["uid"] for e in events.values()}
    assert by_uid[board["uid"]].name == "Board meeting"
    assert by_uid[board["uid"]].begin.to("UTC").isoformat() == "2040-03-01T09:00:00+00:00"


def test_a_feed_answers_304_until_an_update_then_200_with_a_new_etag(server: Server) -> None:
    ingest(server.container, event_ics("board-1"), now=NOW)
    url = server.feed_link(f"/v1/organizers/{ANN}/feed", server.ann)["url"]
    first = server.fetch(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")

    assert server.fetch(url, **{"If-None-Match": etag}).status_code == 304
    assert server.fetch(url, **{"If-Modified-Since": modified}).status_code == 304
    assert server.fetch(url, **{"If-None-Match": '"other"'}).status_code == 200

    ingest(server.container, event_ics("board-1", title="Board (moved)", sequence=1))
    after = server.fetch(url, **{"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert b"SUMMARY:Board (moved)" in after.content
    assert server.fetch(url, **{"If-None-Match": after.headers["etag"]}).status_code == 304
    # Unchanged since a moment after the update: not modified either.
    later = format_datetime(datetime.now(UTC), usegmt=True)
    assert server.fetch(url, **{"If-Modified-Since": later}).status_code == 304


def test_a_change_held_for_review_stays_out_of_the_feed_until_approved(server: Server) -> None:
    sent = ingest(server.container, event_ics("board-1"), now=NOW)
    driver(server.container).send(str(sent), [Recipient(BOB)], now=NOW)
    server.container.admin().organizers.review(ANN, True, now=NOW)
    url = server.feed_link(f"/v1/organizers/{ANN}/feed", server.ann)["url"]
    ingest(server.container, event_ics("board-1", title="Board (moved)", sequence=1))

    held = server.fetch(url)
    server.container.front_doors().outbound.approve(str(sent), now=NOW)
    approved = server.fetch(url)

    # Subscribers see what Bob was mailed until the organizer lets the change go out.
    assert b"SUMMARY:Board meeting" in held.content
    assert b"moved" not in held.content
    assert _uid_sequence(held.content)[1] == 0
    assert b"SUMMARY:Board (moved)" in approved.content
    assert _uid_sequence(approved.content) == _uid_sequence(server.mails_to(BOB, "REQUEST")[-1])


def test_a_cancelled_event_stays_in_the_feed_as_cancelled_under_the_cancellations_sequence(
    server: Server,
) -> None:
    invite = ingest(server.container, event_ics("board-1"), now=NOW)
    driver(server.container).send(str(invite), [Recipient(BOB)], now=NOW)
    ingest(server.container, event_ics("board-1", sequence=1, cancel=True))

    url = server.feed_link(f"/v1/organizers/{ANN}/feed", server.ann)["url"]
    read = _icaljs(server.fetch(url).content)
    (event,) = read["events"]
    assert event["status"] == "CANCELLED"
    (cancellation,) = server.mails_to(BOB, "CANCEL")
    assert (event["uid"], event["sequence"]) == _uid_sequence(cancellation)


def test_a_wrong_or_rotated_signature_is_a_404(server: Server) -> None:
    ingest(server.container, event_ics("board-1"), now=NOW)
    old = server.feed_link(f"/v1/organizers/{ANN}/feed", server.ann)["url"]
    assert server.fetch(old).status_code == 200
    assert server.fetch(old[:-2] + "AA").status_code == 404
    assert server.fetch(old.split("?")[0] + "?sig=").status_code == 404
    assert server.fetch(old.replace("/organizer/", "/domain/")).status_code == 404
    assert server.fetch(old.replace(ANN, ZOE)).status_code == 404

    rotated = server.client.post(f"/v1/organizers/{ANN}/feed/rotate", headers=_auth(server.ann))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["url"]
    assert new != old
    assert server.fetch(old).status_code == 404
    assert server.fetch(new).status_code == 200
    assert server.feed_link(f"/v1/organizers/{ANN}/feed", server.ann)["url"] == new


def test_only_those_who_may_read_an_organizer_get_the_link(server: Server) -> None:
    refused = [
        server.client.get(f"/v1/organizers/{ANN}/feed", headers=_auth(server.zoe)),
        server.client.post(f"/v1/organizers/{ANN}/feed/rotate", headers=_auth(server.zoe)),
        server.client.get("/v1/domains/example.org/feed", headers=_auth(server.ann)),
        server.client.get("/v1/domains/example.com/feed", headers=_auth(server.owner)),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert server.client.get(f"/v1/organizers/{ANN}/feed").status_code == 401
    for token in (server.owner, server.admin):
        assert server.feed_link(f"/v1/organizers/{ANN}/feed", token)["subject"] == ANN
    assert server.feed_link("/v1/domains/example.org/feed", server.owner)["kind"] == "domain"


def test_feed_reads_are_counted_in_the_statistics(server: Server) -> None:
    ingest(server.container, event_ics("board-1"), now=NOW)
    url = server.feed_link(f"/v1/organizers/{ANN}/feed", server.ann)["url"]
    etag = server.fetch(url).headers["etag"]
    server.fetch(url, **{"If-None-Match": etag})
    server.fetch(url[:-2] + "AA")  # refused: not a read
    domain_url = server.feed_link("/v1/domains/example.org/feed", server.owner)["url"]
    server.fetch(domain_url)

    own = server.client.get(f"/v1/organizers/{ANN}/statistics", headers=_auth(server.ann))
    assert own.json()["feed_reads"] == {"organizer": 2}
    domain = server.client.get("/v1/domains/example.org/statistics", headers=_auth(server.owner))
    assert domain.json()["feed_reads"] == {"domain": 1}


def test_a_domain_feed_has_its_organizers_events_and_an_audience_only_those_named(
    server: Server,
) -> None:
    board = ingest(server.container, event_ics("board-1"), now=NOW)
    lunch = ingest(server.container, event_ics("lunch-2", title="Lunch"), now=NOW)
    ingest(server.container, event_ics("zoe-3", organizer=ZOE, title="Zoe's talk"), now=NOW)

    domain_url = server.feed_link("/v1/domains/example.org/feed", server.owner)["url"]
    titles = {e["summary"] for e in _icaljs(server.fetch(domain_url).content)["events"]}
    assert titles == {"Board meeting", "Lunch", "Zoe's talk"}

    path = f"/v1/organizers/{ANN}/audiences/Board%20members/invites"
    added = server.client.post(path, json={"invites": [str(board)]}, headers=_auth(server.ann))
    assert added.status_code == 200, added.text
    audience = added.json()
    assert audience["name"] == "Board members"
    assert audience["invites"] == [str(board)]
    read = _icaljs(server.fetch(audience["feed"]["url"]).content)
    assert read["name"] == "Board members"
    assert [e["summary"] for e in read["events"]] == ["Board meeting"]

    # Another organizer's invite, or another organizer's audience, is refused.
    zoes = server.client.post(path, json={"invites": [str(lunch)]}, headers=_auth(server.zoe))
    assert zoes.status_code == 404
    theirs = ingest(server.container, event_ics("zoe-4", organizer=ZOE), now=NOW)
    foreign = server.client.post(path, json={"invites": [str(theirs)]}, headers=_auth(server.ann))
    assert foreign.status_code == 422

    listed = server.client.get(f"/v1/organizers/{ANN}/audiences", headers=_auth(server.ann))
    assert [a["name"] for a in listed.json()["audiences"]] == ["Board members"]
    removed = server.client.delete(f"{path}/{board}", headers=_auth(server.ann))
    assert removed.json()["invites"] == []
    assert _icaljs(server.fetch(audience["feed"]["url"]).content)["events"] == []


def test_the_organizers_home_page_offers_their_feed(server: Server) -> None:
    ingest(server.container, event_ics("board-1"), now=NOW)
    server.container.projections().run()  # who may sign in is read from the views
    link = server.container.sessions().link_for(ANN, datetime.now(UTC))
    # The session cookie is Secure on an https:// server: a browser there, not http://.
    browser = caught_up(TestClient(create_app(server.container), base_url=WEB), server.container)
    browser.post(urlsplit(link).path, follow_redirects=False)

    home = browser.get("/")
    assert home.status_code == 200
    found = re.search(r'<a class="feed-subscribe" href="(webcal://[^"]+)">Subscribe</a>', home.text)
    assert found is not None, home.text
    webcal = found.group(1).replace("&amp;", "&")
    assert server.fetch("https://" + webcal.removeprefix("webcal://")).status_code == 200
    assert "(reads so far: 1)" in browser.get("/").text
