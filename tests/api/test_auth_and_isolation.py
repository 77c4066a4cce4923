"""Who may read what: no key is a 401, and an invite a key may not read does not exist for it."""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import ORGANIZER, OTHER, World, assert_problem


def test_a_request_without_a_key_is_refused_with_a_challenge(world: World) -> None:
    response = world.client.get(f"/v1/invites/{world.invite}")
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "API key" in str(body["detail"])


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer cis_aaaaaaaa_" + "x" * 43},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": "cis_bbbbbbbb_" + "y" * 43},
    ],
)
def test_a_bad_key_is_refused(world: World, headers: dict[str, str]) -> None:
    assert_problem(world.client.get(f"/v1/invites/{world.invite}", headers=headers), 401)


def test_the_x_api_key_header_authenticates_too(world: World) -> None:
    response = world.client.get(f"/v1/invites/{world.invite}", headers={"X-API-Key": world.admin})
    assert response.status_code == 200


def test_a_revoked_key_stops_working(world: World) -> None:
    from datetime import UTC, datetime

    key_id = world.organizer.split("_")[1]
    world.container.api_keys().revoke(key_id, "left", datetime.now(UTC))
    response = world.client.get(f"/v1/invites/{world.invite}", headers=world.auth(world.organizer))
    assert_problem(response, 401)


def test_an_organizer_reads_its_own_invite(world: World) -> None:
    response = world.client.get(f"/v1/invites/{world.invite}", headers=world.auth(world.organizer))
    assert response.status_code == 200
    assert response.json()["organizer"] == ORGANIZER


@pytest.mark.parametrize(
    "path",
    [
        "/v1/invites/{id}",
        "/v1/invites/{id}/statistics",
        "/v1/invites/{id}/attendees",
    ],
)
def test_another_organizers_invite_answers_404_like_an_unknown_one(world: World, path: str) -> None:
    theirs = world.client.get(path.format(id=world.invite), headers=world.auth(world.rival))
    guessed = world.client.get(path.format(id=uuid.uuid4()), headers=world.auth(world.rival))
    assert_problem(theirs, 404)
    assert_problem(guessed, 404)
    assert theirs.json()["detail"] == guessed.json()["detail"]


@pytest.mark.parametrize("action", ["approve", "cancel", "report"])
def test_another_organizer_cannot_act_on_an_invite_it_cannot_see(world: World, action: str) -> None:
    response = world.client.post(
        f"/v1/invites/{world.invite}/{action}", headers=world.auth(world.rival)
    )
    assert_problem(response, 404)


def test_another_organizer_cannot_send_an_invite(world: World) -> None:
    response = world.client.post(
        f"/v1/invites/{world.invite}/recipients",
        headers=world.auth(world.rival),
        json={"address": "victim@example.org"},
    )
    assert_problem(response, 404)


def test_a_domain_key_reads_its_domain_only(world: World) -> None:
    client, gmail = world.client, world.auth(world.gmail)
    assert client.get(f"/v1/invites/{world.invite}", headers=gmail).status_code == 200
    assert_problem(client.get(f"/v1/invites/{world.rival_invite}", headers=gmail), 404)
    assert client.get("/v1/domains/gmail.com/invites", headers=gmail).status_code == 200
    assert_problem(client.get("/v1/domains/example.com/invites", headers=gmail), 403)
    assert_problem(client.get("/v1/domains/example.com/statistics", headers=gmail), 403)
    assert_problem(client.get(f"/v1/organizers/{OTHER}/invites", headers=gmail), 403)
    mine = client.get(f"/v1/organizers/{ORGANIZER}/statistics", headers=gmail)
    assert mine.status_code == 200


def test_a_domain_key_reads_but_may_not_act(world: World) -> None:
    response = world.client.post(
        f"/v1/invites/{world.invite}/cancel", headers=world.auth(world.gmail)
    )
    body = assert_problem(response, 403)
    assert body["type"] == "about:blank"
    assert body["detail"] == "only the invite's organizer or an admin may do this"


def test_an_organizer_key_cannot_list_another_organizer(world: World) -> None:
    client, mine = world.client, world.auth(world.organizer)
    assert_problem(client.get(f"/v1/organizers/{OTHER}/invites", headers=mine), 403)
    assert_problem(client.get(f"/v1/organizers/{OTHER}/statistics", headers=mine), 403)
    assert_problem(client.get("/v1/domains/gmail.com/invites", headers=mine), 403)
    assert_problem(client.get(f"/v1/upcoming?organizer={OTHER}", headers=mine), 403)


@pytest.mark.parametrize("who", ["organizer", "rival", "gmail", "example"])
def test_system_statistics_are_for_admin_keys_only(world: World, who: str) -> None:
    response = world.client.get("/v1/system/statistics", headers=world.auth(getattr(world, who)))
    assert_problem(response, 403)


def test_admin_reads_the_system_statistics(world: World) -> None:
    response = world.client.get("/v1/system/statistics", headers=world.auth(world.admin))
    assert response.status_code == 200
    assert response.json()["invites"] == 2
