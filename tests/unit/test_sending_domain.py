"""Given/when/then tests for the sending side of the domain."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.addresses import address_problem
from domain.delivery import Delivery, delivery_id
from domain.distribution import Distribution
from domain.outbound import message_id, server_uid
from domain.reply_tokens import reply_address, reply_token, token_matches, token_of
from domain.roster import PAGE_SIZE, RosterPage

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SECRET = secrets.token_bytes(32)
INVITE = uuid4()


def test_reply_token_is_stable_per_invite_and_recipient() -> None:
    token = reply_token(SECRET, INVITE, "Bob@Example.com")
    assert token == reply_token(SECRET, INVITE, "mailto:bob@example.com")
    assert token != reply_token(SECRET, INVITE, "carol@example.com")
    assert token != reply_token(SECRET, uuid4(), "bob@example.com")
    assert token != reply_token(secrets.token_bytes(32), INVITE, "bob@example.com")


def test_reply_token_survives_a_lower_casing_mail_system() -> None:
    token = reply_token(SECRET, INVITE, "bob@example.com")
    address = reply_address(token, "rsvp", "invites.example")
    assert token == token.lower()
    assert len(address.split("@")[0]) <= 64
    assert token_of(address.upper()) == token
    assert token_matches(SECRET, token_of(address) or "", INVITE, "bob@example.com")
    assert not token_matches(SECRET, token, INVITE, "mallory@example.com")


@pytest.mark.parametrize(
    "address", ["rsvp@invites.example", "create@x.org", "rsvp+@x.org", "rsvp+a.b@x.org"]
)
def test_addresses_without_a_usable_token_have_none(address: str) -> None:
    assert token_of(address) is None


@pytest.mark.parametrize(
    "address",
    ["bob@example.com", "o'brien+tag@mail.example.co.uk", "x@a-b.example"],
)
def test_real_addresses_are_accepted(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "bob",
        "@example.com",
        "bob@",
        "bob@localhost",
        "bob smith@example.com",
        "bob@example.com\r\nBcc: eve@example.com",
        "Bob <bob@example.com>",
        "bob..x@example.com",
        "bob@-example.com",
        "a" * 65 + "@example.com",
        "bob@exa_mple.com",
    ],
)
def test_unusable_addresses_say_why(address: str) -> None:
    assert address_problem(address)


def test_message_id_is_deterministic_per_version_and_recipient() -> None:
    first = message_id(INVITE, "bob@example.com", 0, "invites.example")
    assert first == message_id(INVITE, "BOB@example.com", 0, "invites.example")
    assert first != message_id(INVITE, "bob@example.com", 1, "invites.example")
    assert first.startswith("<")
    assert first.endswith("@invites.example>")
    assert server_uid(INVITE, "invites.example") == f"{INVITE}@invites.example"


def test_distribution_publishes_a_new_sequence_only_when_the_version_changes() -> None:
    distribution = Distribution(invite=INVITE, timestamp=NOW)
    assert distribution.publish("REQUEST", "v1", "s1", NOW) == 0
    assert distribution.publish("REQUEST", "v1", "s1", NOW) == 0
    assert distribution.publish("REQUEST", "v2", "s1", NOW) == 1
    assert distribution.significant_from == 0
    assert distribution.publish("REQUEST", "v3", "s2", NOW) == 2
    assert distribution.significant_from == 2
    assert distribution.publish("CANCEL", "v3", "s2", NOW) == 3
    types = [type(e).__name__ for e in distribution.collect_events()]
    assert types == ["Opened"] + ["VersionPublished"] * 4


def test_delivery_records_intent_then_outcome() -> None:
    token = reply_token(SECRET, INVITE, "bob@example.com")
    delivery = Delivery(
        token=token,
        invite=INVITE,
        address="bob@example.com",
        name="Bob",
        origin="api",
        timestamp=NOW,
    )
    assert delivery.id == delivery_id(token)
    delivery.intend(sequence=0, method="REQUEST", message_id="<m0@x>", timestamp=NOW)
    assert [a.status for a in delivery.pending] == ["pending"]
    delivery.failed(sequence=0, reason="451 try later", permanent=False, timestamp=NOW)
    assert [a.detail for a in delivery.pending] == ["451 try later"]
    delivery.sent(sequence=0, where="outbox/m0.eml", timestamp=NOW)
    assert delivery.pending == []
    assert delivery.last_sent is not None
    assert delivery.last_sent.message_id == "<m0@x>"
    delivery.intend(sequence=1, method="REQUEST", message_id="<m1@x>", timestamp=NOW)
    delivery.failed(sequence=1, reason="550 no such user", permanent=True, timestamp=NOW)
    assert delivery.pending == []
    assert delivery.last_sent.sequence == 0
    assert delivery.attempt(1) is not None
    assert delivery.attempt(1).status == "failed"  # type: ignore[union-attr]


def test_roster_pages_are_bounded() -> None:
    page = RosterPage(invite=INVITE, page=0, timestamp=NOW)
    for n in range(PAGE_SIZE):
        assert not page.full
        page.add(token=f"t{n}", timestamp=NOW)
    assert page.full
    assert len(page.tokens) == PAGE_SIZE
