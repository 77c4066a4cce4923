"""Organizers get their private drop-box address from the API, once, and can revoke it."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.authentication import SenderPolicy
from tests.api.conftest import ORGANIZER, SEQ1, World, assert_problem
from tests.corpus_mail import organizer_of
from tests.driver import driver
from tests.invite_mail import email_of

PATH = f"/v1/organizers/{ORGANIZER}/private-address"


def update_to(world: World, address: str) -> str:
    """Mail the organizer's update (unsigned, From the organizer) to ``address``; each call
    is a new email, as a client's every sending is."""
    body = SEQ1.read_bytes()
    raw = email_of(body, ORGANIZER, extra=(f"X-Sent-To: {address}",))
    result = driver(world.container).ingest(
        raw, now=datetime.now(UTC), envelope_to=address, envelope_from=organizer_of(body)
    )
    return result.outcome.value


def test_the_organizer_gets_an_address_that_stands_in_for_signed_mail(world: World) -> None:
    driver(world.container).registry.set_domain_policy(
        "gmail.com", SenderPolicy.PRIVATE_ONLY, now=datetime.now(UTC)
    )
    assert update_to(world, "create@invites.example") == "rejected"
    response = world.client.post(PATH, headers=world.auth(world.organizer))
    assert response.status_code == 201
    issued = response.json()
    assert issued["organizer"] == ORGANIZER
    assert issued["create"].startswith("create+")
    assert issued["create"].endswith("@invites.example")
    assert update_to(world, issued["create"]) == "updated"


def test_a_new_address_replaces_the_old_and_revoking_ends_it(world: World) -> None:
    registry = driver(world.container).registry
    registry.set_domain_policy("gmail.com", SenderPolicy.PRIVATE_ONLY, now=datetime.now(UTC))
    first = world.client.post(PATH, headers=world.auth(world.admin)).json()["create"]
    second = world.client.post(PATH, headers=world.auth(world.organizer)).json()["create"]
    assert first != second
    assert update_to(world, first) == "rejected"
    revoked = world.client.delete(PATH, headers=world.auth(world.organizer))
    assert revoked.status_code == 204
    assert update_to(world, second) == "rejected"


def test_other_keys_may_not_issue_it(world: World) -> None:
    for token in (world.rival, world.gmail):
        assert_problem(world.client.post(PATH, headers=world.auth(token)), 403)
    assert_problem(world.client.post(PATH), 401)
