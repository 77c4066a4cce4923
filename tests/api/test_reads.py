"""The dashboards' reads: summaries, statistics, attendees, lists, and their pages."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from application.admin.keys import Scope
from application.send_types import Recipient
from tests.api.conftest import ORGANIZER, OTHER, World, assert_problem, ingest, invite_ics, key
from tests.driver import driver


def send(world: World, *addresses: str) -> None:
    """Send the corpus invite to ``addresses`` through the service."""
    recipients = [Recipient(a, a.split("@")[0].title(), "vip") for a in addresses]
    driver(world.container).send(str(world.invite), recipients, now=datetime.now(UTC))


def test_an_invite_shows_its_summary_and_a_signed_calendar_link(world: World) -> None:
    response = world.client.get(f"/v1/invites/{world.invite}", headers=world.auth(world.admin))
    assert response.status_code == 200
    body = response.json()
    assert body["invite"] == str(world.invite)
    assert body["title"] == "the Strokes"
    assert body["status"] == "confirmed"
    url = body["calendar_url"]
    assert url.startswith(f"http://testserver/v1/invites/{world.invite}/invite.ics?sig=")
    assert world.client.get(url).status_code == 200


def test_statistics_count_whom_the_invite_was_sent_to(world: World) -> None:
    send(world, "ann@example.org", "bob@example.org")
    response = world.client.get(
        f"/v1/invites/{world.invite}/statistics", headers=world.auth(world.organizer)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["invited"] == 2
    assert body["by_origin"] == {"vip": 2}
    assert body["by_status"]["no answer"] == 2


def test_its_organizer_sees_attendees_addresses(world: World) -> None:
    send(world, "ann@example.org")
    response = world.client.get(
        f"/v1/invites/{world.invite}/attendees", headers=world.auth(world.organizer)
    )
    (row,) = response.json()["items"]
    assert row["address"] == "ann@example.org"
    assert row["name"] == "Ann"
    assert row["history"]


def test_a_domain_key_sees_attendees_masked(world: World) -> None:
    send(world, "ann@example.org")
    response = world.client.get(
        f"/v1/invites/{world.invite}/attendees", headers=world.auth(world.gmail)
    )
    (row,) = response.json()["items"]
    assert row["address"] == "a***@example.org"
    assert row["name"] is None
    assert row["history"] == []
    assert "ann@" not in response.text


def test_a_domain_keys_cursors_name_nobody_and_cannot_be_altered(world: World) -> None:
    # A readable cursor is the last address of its page: masked rows would leak one a page.
    addresses = [f"guest{n:02}@example.org" for n in range(5)]
    send(world, *addresses)
    url, auth = f"/v1/invites/{world.invite}/attendees", world.auth(world.gmail)
    cursors, shown = [], []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        answer = world.client.get(url, params=params, headers=auth)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        shown += [row["address"] for row in body["items"]]
        if body["next_cursor"] is None:
            break
        cursors.append(body["next_cursor"])
        params["cursor"] = body["next_cursor"]

    assert len(shown) == 5
    for cursor in cursors:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        assert b"guest" not in decoded
    altered = cursors[0][:-2] + ("AA" if not cursors[0].endswith("AA") else "BB")
    refused = world.client.get(url, params={"cursor": altered}, headers=auth)
    assert refused.status_code == 400
    readable = world.client.get(url, params={"limit": 2}, headers=world.auth(world.admin))
    organizers_cursor = readable.json()["next_cursor"]
    assert (
        world.client.get(url, params={"cursor": organizers_cursor}, headers=auth).status_code == 400
    )


def test_attendees_come_in_pages_that_cover_everyone_once(world: World) -> None:
    addresses = [f"guest{n:02}@example.org" for n in range(7)]
    send(world, *addresses)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = world.client.get(
            f"/v1/invites/{world.invite}/attendees", params=params, headers=world.auth(world.admin)
        )
        body = response.json()
        seen += [row["address"] for row in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert seen == sorted(addresses)


def test_an_organizers_invites_page_by_cursor_in_either_order(world: World) -> None:
    starts = ["20400105T100000Z", "20400101T100000Z", "20400104T100000Z", "20400102T100000Z"]
    for n, start in enumerate(starts):
        ingest(world.container, invite_ics(f"page-{n}", ORGANIZER, start, f"Event {n}"))
    for sort in ("modified", "start"):
        titles: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            query = f"sort={sort}&limit=2" + (f"&cursor={cursor}" if cursor else "")
            response = world.client.get(
                f"/v1/organizers/{ORGANIZER}/invites?{query}", headers=world.auth(world.organizer)
            )
            assert response.status_code == 200, response.text
            body = response.json()
            titles += [item["title"] for item in body["items"]]
            cursor, pages = body["next_cursor"], pages + 1
            if cursor is None:
                break
        assert pages == 3
        assert len(titles) == 5
        if sort == "start":  # the corpus invite (2015) first, then by start
            assert titles == ["the Strokes", "Event 1", "Event 3", "Event 2", "Event 0"]
        else:  # newest change first
            assert titles == ["Event 3", "Event 2", "Event 1", "Event 0", "the Strokes"]


def test_an_invalid_cursor_is_a_400_problem(world: World) -> None:
    for cursor in ("a", "!!!", "not base64 at all", "Zm9v="):
        response = world.client.get(
            f"/v1/organizers/{ORGANIZER}/invites",
            params={"cursor": cursor},
            headers=world.auth(world.admin),
        )
        body = assert_problem(response, 400)
        assert "cursor" in str(body["detail"])


def test_an_unknown_sort_is_a_validation_problem(world: World) -> None:
    response = world.client.get(
        f"/v1/organizers/{ORGANIZER}/invites?sort=size", headers=world.auth(world.admin)
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["location"] == ["query", "sort"]  # type: ignore[index]


def test_upcoming_lists_future_invites_of_an_organizer_or_a_domain(world: World) -> None:
    by_domain = world.client.get("/v1/upcoming?domain=example.com", headers=world.auth(world.admin))
    assert [i["invite"] for i in by_domain.json()["items"]] == [str(world.rival_invite)]
    own = world.client.get("/v1/upcoming", headers=world.auth(world.rival))
    assert [i["invite"] for i in own.json()["items"]] == [str(world.rival_invite)]
    past = world.client.get(f"/v1/upcoming?organizer={ORGANIZER}", headers=world.auth(world.admin))
    assert past.json() == {"items": [], "next_cursor": None}  # the corpus invite was in 2015


def test_upcoming_needs_exactly_one_of_organizer_or_domain(world: World) -> None:
    both = world.client.get(
        f"/v1/upcoming?organizer={OTHER}&domain=example.com", headers=world.auth(world.admin)
    )
    assert_problem(both, 422)
    assert_problem(world.client.get("/v1/upcoming", headers=world.auth(world.admin)), 422)


def test_domain_and_organizer_statistics_add_up(world: World) -> None:
    ingest(world.container, invite_ics("second", OTHER, "20400301T100000Z"))
    admin = world.auth(world.admin)
    domain = world.client.get("/v1/domains/Example.COM/statistics", headers=admin).json()
    organizer = world.client.get(f"/v1/organizers/{OTHER}/statistics", headers=admin).json()
    assert domain["domain"] == "example.com"
    assert domain["invites"] == organizer["invites"] == 2
    assert domain["active"] == 2
    listed = world.client.get("/v1/domains/example.com/invites", headers=admin).json()
    assert len(listed["items"]) == 2


def test_a_new_key_sees_invites_created_after_the_app_started(world: World) -> None:
    newcomer = "new@example.net"
    invite = ingest(world.container, invite_ics("late", newcomer, "20400101T100000Z"))
    token = key(world.container, Scope.ORGANIZER, newcomer)
    response = world.client.get(f"/v1/invites/{invite}", headers=world.auth(token))
    assert response.status_code == 200
