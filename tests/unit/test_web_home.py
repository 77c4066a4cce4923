"""The web app's home page and the public upcoming pages over HTTP, through the real container:
who sees which invites, in which order, the search, the signed upcoming link and its form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from application.projections.queries import Page
from application.send_types import Recipient
from entrypoints.api import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from entrypoints.web.home import PAGE, collect, matches
from tests.api.conftest import SEQ0, ingest, invite_ics
from tests.api.test_web_invite_page import signed_in
from tests.driver import driver

ORGANIZER = "inboxapptest@gmail.com"  # the organizer of the corpus invite (2015: past)
OTHER = "rival@example.com"
ADMIN = "admin@example.org"
BASE = "http://testserver"


def starts_in(days: int) -> str:
    """Return an iCalendar UTC start ``days`` from now."""
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ")


@pytest.fixture
def container(tmp_path: Path) -> Container:
    settings = Settings(backend="memory", data_dir=tmp_path, web_base_url=BASE, admins=ADMIN)
    built = bootstrap(settings)
    for address in (ORGANIZER, OTHER):
        built.registry().allow(address, now=datetime.now(UTC))
    return built


@pytest.fixture
def invites(container: Container) -> dict[str, UUID]:
    """The past corpus invite, two to come (the later one recorded first), one of another's."""
    made = {
        "past": ingest(container, SEQ0.read_bytes()),
        "later": ingest(container, invite_ics("later@x", ORGANIZER, starts_in(20), "Board day")),
        "soon": ingest(container, invite_ics("soon@x", ORGANIZER, starts_in(2), "Team <lunch>")),
        "rival": ingest(container, invite_ics("rival@x", OTHER, starts_in(3), "Rival party")),
    }
    recipients = [Recipient(f"p{i}@example.net", None, "bulk") for i in range(2)]
    container.outbound().send(str(made["soon"]), recipients, now=datetime.now(UTC))
    container.projections().run()
    return made


def upcoming_link(home: str) -> str:
    """Return the path and query of the signed upcoming page the home page links to."""
    (link,) = re.findall(r'href="(http://testserver/upcoming/[^"]+)"', home)
    parts = urlsplit(link.replace("&amp;", "&"))
    return f"{parts.path}?{parts.query}"


def test_an_organizer_sees_their_invites_upcoming_soonest_first_then_past(
    container: Container, invites: dict[str, UUID]
) -> None:
    client = signed_in(container, ORGANIZER)

    home = client.get("/")

    assert home.status_code == 200
    text = home.text
    coming, _, past = text.partition('id="past"')
    assert coming.index(str(invites["soon"])) < coming.index(str(invites["later"]))
    assert str(invites["past"]) in past
    assert str(invites["past"]) not in coming
    assert str(invites["rival"]) not in text
    assert "Team &lt;lunch&gt;" in text
    assert "<lunch>" not in text
    soon_row = re.search(rf"/invites/{invites['soon']}.*?</tr>", text, re.S)
    assert soon_row is not None
    assert re.findall(r"<td>(\d+)</td>", soon_row.group(0)) == ["0", "2", "0", "0", "0", "2", "0"]
    policy = home.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert '<script src="/static/search.js" defer></script>' in text
    assert client.get("/static/search.js").status_code == 200


def test_the_search_by_title_is_answered_by_the_server(
    container: Container, invites: dict[str, UUID]
) -> None:
    client = signed_in(container, ORGANIZER)

    found = client.get("/", params={"q": "sTROKES"}).text

    assert str(invites["past"]) in found
    assert str(invites["soon"]) not in found
    assert str(invites["later"]) not in found
    assert "1 invitation with" in found


def test_an_admin_sees_the_totals_and_every_invite(
    container: Container, invites: dict[str, UUID]
) -> None:
    client = signed_in(container, ADMIN)

    home = client.get("/").text

    assert "You administer this server" in home
    assert all(str(invite) in home for invite in invites.values())
    assert "/upcoming/" not in home


def test_a_domain_owner_sees_their_domains_invites_and_its_upcoming_link(
    container: Container, invites: dict[str, UUID]
) -> None:
    container.registry().set_domain_owners("gmail.com", ["boss@gmail.com"], now=datetime.now(UTC))
    client = signed_in(container, "boss@gmail.com")

    home = client.get("/").text

    assert "Invitations of gmail.com" in home
    assert all(str(invites[name]) in home for name in ("past", "soon", "later"))
    assert str(invites["rival"]) not in home
    link = upcoming_link(home)
    assert link.startswith("/upcoming/gmail.com?sig=")
    assert str(invites["soon"]) in TestClient(create_app(container), base_url=BASE).get(link).text


def test_the_signed_upcoming_page_lists_what_is_to_come_and_sends_on_request(
    container: Container, invites: dict[str, UUID]
) -> None:
    link = upcoming_link(signed_in(container, ORGANIZER).get("/").text)
    visitor = TestClient(create_app(container), base_url=BASE)

    listed = visitor.get(link)

    assert listed.status_code == 200
    assert listed.text.index(str(invites["soon"])) < listed.text.index(str(invites["later"]))
    assert str(invites["past"]) not in listed.text
    assert str(invites["rival"]) not in listed.text
    assert "csrf" not in listed.text
    only_board = visitor.get(link + "&q=board").text
    assert str(invites["later"]) in only_board
    assert str(invites["soon"]) not in only_board
    sig = dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&"))["sig"]
    action = f"/upcoming/{ORGANIZER}/invites/{invites['later']}"
    sent = visitor.post(action, data={"sig": sig, "address": "Bob@Example.org", "name": "Bob"})
    assert sent.status_code == 200
    assert "on its way to bob@example.org" in sent.text
    again = visitor.post(action, data={"sig": sig, "address": "bob@example.org"})
    assert again.text.replace("Bob@", "bob@") == sent.text.replace("Bob@", "bob@")
    recipients = {row.address for row in driver(container).report(str(invites["later"]))}
    assert recipients == {"bob@example.org"}


def test_the_honeypot_pretends_and_sends_nothing(
    container: Container, invites: dict[str, UUID]
) -> None:
    visitor = TestClient(create_app(container), base_url=BASE)
    sig = container.links().upcoming_signature(ORGANIZER)
    form = {"sig": sig, "address": "bot@example.org", "website": "http://spam.example"}

    answer = visitor.post(f"/upcoming/{ORGANIZER}/invites/{invites['later']}", data=form)

    assert answer.status_code == 200
    assert "on its way to bot@example.org" in answer.text
    assert driver(container).report(str(invites["later"])) == []


def test_a_bad_or_foreign_signature_is_the_same_404(
    container: Container, invites: dict[str, UUID]
) -> None:
    visitor = TestClient(create_app(container), base_url=BASE)
    mine = container.links().upcoming_signature(ORGANIZER)

    assert visitor.get(f"/upcoming/{ORGANIZER}").status_code == 404
    assert visitor.get(f"/upcoming/{ORGANIZER}", params={"sig": "x" + mine}).status_code == 404
    assert visitor.get(f"/upcoming/{OTHER}", params={"sig": mine}).status_code == 404
    assert visitor.get("/upcoming/gmail.com", params={"sig": mine}).status_code == 404
    # The organizer's signature sends none of another organizer's invites.
    foreign = visitor.post(
        f"/upcoming/{ORGANIZER}/invites/{invites['rival']}",
        data={"sig": mine, "address": "eve@example.org"},
    )
    assert foreign.status_code == 404
    assert driver(container).report(str(invites["rival"])) == []


def test_a_domain_page_lists_its_organizers_upcoming_invites(
    container: Container, invites: dict[str, UUID]
) -> None:
    visitor = TestClient(create_app(container), base_url=BASE)
    sig = container.links().upcoming_signature("gmail.com")

    listed = visitor.get("/upcoming/gmail.com", params={"sig": sig}).text

    assert str(invites["soon"]) in listed
    assert str(invites["rival"]) not in listed


def test_upcoming_signatures_are_per_page_case_blind_and_checked_in_constant_time(
    container: Container,
) -> None:
    links = container.links()
    mine = links.upcoming_signature(ORGANIZER)

    assert links.upcoming_signature(" InboxAppTest@Gmail.com ") == mine
    assert links.upcoming_signature(OTHER) != mine
    assert links.upcoming_signature("gmail.com") != mine
    assert len(mine) == 22
    assert re.fullmatch(r"[\w-]+", mine)
    assert links.upcoming_signature_matches(ORGANIZER, mine)
    assert not links.upcoming_signature_matches(OTHER, mine)
    assert not links.upcoming_signature_matches(ORGANIZER, None)
    assert not links.upcoming_signature_matches(ORGANIZER, "é" + mine[1:])
    # No other link's signature opens the page: each is made under its own label.
    assert not links.upcoming_signature_matches(ORGANIZER, links.landing_signature(UUID(int=0)))


def test_a_filtered_list_reads_on_until_a_page_is_found_and_continues_where_it_stopped() -> None:
    titles = [f"{'match' if i % 20 == 0 else 'other'} {i}" for i in range(200)]

    def read(cursor: str | None) -> Page:
        start = int(cursor or 0)
        items = [{"title": t} for t in titles[start : start + PAGE]]
        return Page(items, str(start + PAGE) if start + PAGE < len(titles) else None)

    first = collect(read, matches("MATCH"), None)
    everything = collect(read, matches(""), None)

    assert [item["title"] for item in first.items] == [f"match {i}" for i in range(0, 200, 20)]
    assert first.cursor is None
    assert len(everything.items) == PAGE
    assert everything.cursor == str(PAGE)
    assert collect(read, matches("other 199"), "150").items == [{"title": "other 199"}]


def test_too_many_requests_from_one_address_get_a_page_that_says_so(
    container: Container, invites: dict[str, UUID]
) -> None:
    visitor = TestClient(create_app(container), base_url=BASE)
    form = {"sig": container.links().upcoming_signature(ORGANIZER), "website": "x"}
    action = f"/upcoming/{ORGANIZER}/invites/{invites['later']}"

    answers = [
        visitor.post(action, data={**form, "address": f"a{i}@example.org"}) for i in range(30)
    ]

    refused = answers[-1]
    assert refused.status_code == 429
    assert "Too many requests" in refused.text
    assert "Retry-After" in refused.headers
    assert refused.headers["content-type"].startswith("text/html")
