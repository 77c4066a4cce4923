"""The administrators' listing of every invite, and the attendee filters (status, address)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

from application.projections.queries import STATUSES
from application.send_types import Recipient
from entrypoints.api.routes.invites import AttendeeStatus
from tests.api.conftest import ORGANIZER, OTHER, World, assert_problem, ingest, invite_ics
from tests.driver import driver


def pages(world: World, url: str, token: str, limit: int) -> list[dict[str, Any]]:
    """Every item of a paged list, following ``next_cursor`` to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        joiner = "&" if "?" in url else "?"
        response = world.client.get(f"{url}{joiner}{query}", headers=world.auth(token))
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert len(body["items"]) == limit


def test_an_admin_pages_through_every_invite_of_every_organizer(world: World) -> None:
    third = ingest(world.container, invite_ics("rival-2", OTHER, "20400201T100000Z"))

    listed = pages(world, "/v1/invites", world.admin, limit=1)

    assert {i["invite"] for i in listed} == {str(world.invite), str(world.rival_invite), str(third)}
    assert {i["organizer"] for i in listed} == {ORGANIZER, OTHER}
    changed = [i["last_modified"] for i in listed]
    assert changed == sorted(changed, reverse=True)  # newest change first
    assert pages(world, "/v1/invites", world.admin, limit=50) == listed


def test_other_keys_are_refused_and_told_where_their_own_invites_are(world: World) -> None:
    body = assert_problem(world.client.get("/v1/invites", headers=world.auth(world.organizer)), 403)
    assert f"/v1/organizers/{ORGANIZER}/invites" in str(body["detail"])
    body = assert_problem(world.client.get("/v1/invites", headers=world.auth(world.gmail)), 403)
    assert "/v1/domains/gmail.com/invites" in str(body["detail"])
    assert_problem(world.client.get("/v1/invites"), 401)


def test_the_listing_is_described_in_the_openapi_spec(world: World) -> None:
    spec = world.client.get("/v1/openapi.json").json()
    listing = spec["paths"]["/v1/invites"]["get"]
    assert "admin" in listing["description"].lower()
    assert {p["name"] for p in listing["parameters"]} == {"cursor", "limit"}
    attendees = spec["paths"]["/v1/invites/{invite_id}/attendees"]["get"]
    names = {p["name"]: p for p in attendees["parameters"]}
    assert {"status", "q", "cursor", "limit"} <= names.keys()


def test_the_status_filter_offers_exactly_the_views_statuses() -> None:
    assert get_args(AttendeeStatus) == STATUSES


def send(world: World, *addresses: str) -> None:
    recipients = [Recipient(a, None, "vip") for a in addresses]
    driver(world.container).send(str(world.invite), recipients, now=datetime.now(UTC))


def test_attendees_filter_by_status_and_address_prefix(world: World) -> None:
    guests = [f"guest{n:02}@example.org" for n in range(12)] + ["other@example.net"]
    send(world, *guests)
    url = f"/v1/invites/{world.invite}/attendees"

    everyone = pages(world, url, world.organizer, limit=5)
    unanswered = pages(world, f"{url}?status=no%20answer", world.organizer, limit=5)
    searched = pages(world, f"{url}?q=GUEST1", world.organizer, limit=2)

    assert [a["address"] for a in everyone] == sorted(guests)
    assert unanswered == everyone
    assert pages(world, f"{url}?status=accepted", world.organizer, limit=5) == []
    assert [a["address"] for a in searched] == ["guest10@example.org", "guest11@example.org"]
    both = pages(world, f"{url}?status=no%20answer&q=guest0", world.organizer, limit=3)
    assert len(both) == 10


def test_an_unknown_status_is_a_validation_problem(world: World) -> None:
    response = world.client.get(
        f"/v1/invites/{world.invite}/attendees?status=maybe", headers=world.auth(world.admin)
    )
    assert_problem(response, 422)


def test_who_sees_masked_addresses_may_not_search_them(world: World) -> None:
    send(world, "ann@example.org")
    url = f"/v1/invites/{world.invite}/attendees"
    assert_problem(world.client.get(f"{url}?q=an", headers=world.auth(world.gmail)), 403)
    masked = world.client.get(f"{url}?status=no%20answer", headers=world.auth(world.gmail))
    assert [a["address"] for a in masked.json()["items"]] == ["a***@example.org"]
