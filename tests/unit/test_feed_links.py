"""Feed links: one signature per (kind, subject, generation), revoked by rotating; audiences."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.feeds import (
    MAX_AUDIENCE_INVITES,
    Audience,
    FeedKind,
    FeedLink,
    InvalidAudienceError,
    audience_id,
    audience_key,
    feed_signature,
    feed_signature_matches,
)
from domain.invite_signatures import Capability, invite_signature

SECRET = b"s" * 32
NOW = datetime(2026, 12, 4, tzinfo=UTC)


def test_a_signature_opens_one_feed_of_one_generation() -> None:
    signature = feed_signature(SECRET, FeedKind.ORGANIZER, "ann@example.org", 0)
    assert feed_signature_matches(SECRET, FeedKind.ORGANIZER, "ann@example.org", 0, signature)
    for kind, subject, generation in (
        (FeedKind.DOMAIN, "ann@example.org", 0),
        (FeedKind.ORGANIZER, "bob@example.org", 0),
        (FeedKind.ORGANIZER, "ann@example.org", 1),
    ):
        assert not feed_signature_matches(SECRET, kind, subject, generation, signature)
    assert not feed_signature_matches(
        b"t" * 32, FeedKind.ORGANIZER, "ann@example.org", 0, signature
    )
    assert not feed_signature_matches(SECRET, FeedKind.ORGANIZER, "ann@example.org", 0, "é")


def test_no_other_links_signature_opens_a_feed() -> None:
    invite = uuid4()
    download = invite_signature(SECRET, Capability.DOWNLOAD, invite)
    assert not feed_signature_matches(SECRET, FeedKind.AUDIENCE, str(invite), 0, download)


def test_rotating_moves_the_generation_on() -> None:
    link = FeedLink(kind="domain", subject="example.org", timestamp=NOW)
    assert link.generation == 0
    link.rotate(timestamp=NOW)
    link.rotate(timestamp=NOW)
    assert link.generation == 2
    assert link.rotated_at == NOW


def test_an_audience_is_named_in_any_case_and_spacing() -> None:
    assert audience_key("  Board   Members ") == "board members"
    assert audience_id("ann@example.org", "board members") == audience_id(
        "ann@example.org", "BOARD  Members"
    )
    assert audience_id("ann@example.org", "Board") != audience_id("bob@example.org", "Board")
    for bad in ("", "   ", "a/b", "x" * 65, "tab\x07"):
        with pytest.raises(InvalidAudienceError):
            audience_key(bad)


def test_an_audience_lists_each_invite_once_and_is_bounded() -> None:
    audience = Audience(organizer="ann@example.org", name="Board", timestamp=NOW)
    first, second = uuid4(), uuid4()
    audience.add(invites=audience.adding([first, second, first]), timestamp=NOW)
    assert audience.adding([first]) == []
    assert audience.invite_ids() == [first, second]
    audience.remove(invites=[first.hex], timestamp=NOW)
    assert audience.invite_ids() == [second]
    with pytest.raises(InvalidAudienceError):
        audience.adding([uuid4() for _ in range(MAX_AUDIENCE_INVITES)])
