"""Web RSVP links: a click answers like an emailed reply to our copy; a bad link never does."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from pydantic import ValidationError

from adapters.mail.outbox import OutboxFolderMailer
from application.links.rsvp_links import (
    WEB_PRODID,
    InvalidLinkError,
    LinkQuestion,
    RsvpLinks,
    WebAnswer,
)
from application.reading.report import ReportRow, client_family
from application.send_types import OutboundSettings, Recipient
from domain.outbound import OutboundInstance, OutboundInvite, event_end
from domain.reply_tokens import reply_token
from domain.values import EventDetails, Method
from domain.web_links import LINK_TTL, checked_base_url, link_expiry, read_link
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver
from tests.replies import answer, invitation_calendar

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
DOMAIN = "invites.example"
ANN, BEN = "ann@example.org", "ben@example.org"
STRANGER = "mallory@example.net"
PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@dataclass
class World:
    """A memory-backed service with one invite sent to Ann and Ben, and the links for it."""

    service: Driver
    invite: UUID
    links: RsvpLinks
    outbox: Path

    def row(self, address: str) -> ReportRow:
        """Return the recipient's row of the RSVP report, as the service builds it."""
        return next(r for r in self.service.report(str(self.invite)) if r.address == address)


def given_sent(data: Path) -> World:
    """Ingest the organizer's invite and send version 0 to Ann and Ben."""
    config = Settings(backend="memory", data_dir=data, mail_domain=DOMAIN)
    service = driver(bootstrap(config))
    created = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    assert created.invite is not None
    service.send(str(created.invite), [Recipient(ANN), Recipient(BEN)], now=NOW)
    assert service.outbound is not None
    links = RsvpLinks(service.load, service.save, service.outbound)
    return World(service, created.invite, links, config.outbox_path)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    world = given_sent(tmp_path)
    yield world
    world.service.close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for property tests, whose links never succeed (nothing changes in it)."""
    world = given_sent(tmp_path_factory.mktemp("links"))
    yield world
    world.service.close()


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def splice(token: str, start: int, piece: bytes) -> str:
    """Return ``token`` with its bytes from ``start`` replaced by ``piece``, re-encoded."""
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[start : start + len(piece)] = piece
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


def test_a_clicked_answer_shows_in_the_rsvp_report(world: World) -> None:
    token = world.links.token(world.invite, ANN, 0, NOW)

    result = world.links.answer(token, "accepted", later(5))

    assert result == WebAnswer(world.invite, ANN, "ACCEPTED", "rsvp", "the Strokes")
    row = world.row(ANN)
    assert (row.status, row.client, row.replied_at) == ("accepted", "Web link", later(5))
    assert world.row(BEN).status == "no answer"


@pytest.mark.parametrize(
    ("clicked", "status"),
    [("ACCEPTED", "accepted"), ("Declined", "declined"), ("tentative", "tentative")],
)
def test_takes_the_answer_in_any_case(world: World, clicked: str, status: str) -> None:
    token = world.links.token(world.invite, ANN, 0, NOW)

    assert world.links.answer(token, clicked, later(1)).partstat == status.upper()
    assert world.row(ANN).status == status


def test_the_address_the_link_was_issued_for_is_normalized(world: World) -> None:
    token = world.links.token(world.invite, " <Ann@Example.ORG> ", 0, NOW)

    assert world.links.answer(token, "declined", later(1)).address == ANN
    assert world.row(ANN).status == "declined"


def test_the_newest_click_wins_and_the_same_click_twice_is_a_duplicate(world: World) -> None:
    token = world.links.token(world.invite, ANN, 0, NOW)
    world.links.answer(token, "accepted", later(1))

    again = world.links.answer(token, "accepted", later(1))
    changed = world.links.answer(token, "declined", later(2))
    confirmed = world.links.answer(token, "declined", later(3))
    late = world.links.answer(token, "tentative", later(2) - timedelta(seconds=1))

    assert [again.outcome, changed.outcome, confirmed.outcome, late.outcome] == [
        "duplicate",
        "rsvp",
        "rsvp",
        "stale",
    ]
    assert (world.row(ANN).status, world.row(ANN).replied_at) == ("declined", later(3))


def test_an_emailed_reply_and_a_click_follow_the_same_newest_wins_rule(world: World) -> None:
    token = world.links.token(world.invite, ANN, 0, NOW)
    world.links.answer(token, "accepted", later(1))

    raw, reply_address = _emailed(world, ANN, "DECLINED", later(2))
    world.service.ingest(raw, now=later(2), envelope_to=reply_address)
    assert (world.row(ANN).status, world.row(ANN).client) == ("declined", "Google Calendar")

    world.links.answer(token, "tentative", later(3))
    assert (world.row(ANN).status, world.row(ANN).client) == ("tentative", "Web link")


def test_a_link_to_a_version_replaced_by_a_significant_change_no_longer_counts(
    world: World,
) -> None:
    old = world.links.token(world.invite, ANN, 0, NOW)
    # The organizer moves the event; the new version goes to Ann and Ben at once.
    from_organizer(
        world.service, (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes(), now=later(1)
    )
    current = world.row(ANN).last_sequence_sent
    assert current == 1

    assert world.links.answer(old, "accepted", later(2)).outcome == "stale"
    assert world.row(ANN).status == "no answer"

    new = world.links.token(world.invite, ANN, current, later(1))
    assert world.links.answer(new, "accepted", later(3)).outcome == "rsvp"
    assert world.row(ANN).status == "accepted"


def test_two_clicks_racing_for_one_stream_both_land(world: World) -> None:
    token = world.links.token(world.invite, ANN, 0, NOW)
    raced: list[WebAnswer] = []

    def save_after_the_other_click(*items: Aggregate) -> object:
        if not raced:  # the other request saves first, between our read and our write
            raced.append(world.links.answer(token, "declined", later(1)))
        return world.service.save(*items)

    assert world.service.outbound is not None
    racing = RsvpLinks(world.service.load, save_after_the_other_click, world.service.outbound)
    result = racing.answer(token, "accepted", later(2))

    assert (raced[0].outcome, result.outcome) == ("rsvp", "rsvp")
    assert world.row(ANN).status == "accepted"


def test_an_expired_link_says_when_it_expired(world: World) -> None:
    links = RsvpLinks(
        world.service.load, world.service.save, _settings(world), ttl=timedelta(days=1)
    )
    token = links.token(world.invite, ANN, 0, NOW)

    assert links.answer(token, "accepted", NOW + timedelta(days=1, seconds=-1)).outcome == "rsvp"
    with pytest.raises(InvalidLinkError, match="expired on 2026-11-22 15:00 UTC"):
        links.answer(token, "declined", NOW + timedelta(days=1))
    assert world.row(ANN).status == "accepted"


def test_a_link_for_someone_who_is_not_a_recipient_is_refused(world: World) -> None:
    token = world.links.token(world.invite, STRANGER, 0, NOW)

    with pytest.raises(InvalidLinkError, match="not issued to a recipient of this invite"):
        world.links.answer(token, "accepted", later(1))


def test_a_link_for_an_invite_the_server_does_not_know_is_refused(world: World) -> None:
    token = world.links.token(uuid4(), ANN, 0, NOW)

    with pytest.raises(InvalidLinkError, match="invite this server does not know"):
        world.links.answer(token, "accepted", later(1))


def test_a_link_cannot_be_turned_to_another_invite_or_another_recipient(world: World) -> None:
    other = world.service.ingest((CORPUS / "request/tb-single-event.eml").read_bytes(), now=NOW)
    assert other.invite is not None
    world.service.send(str(other.invite), [Recipient(ANN)], now=NOW)
    anns = world.links.token(world.invite, ANN, 0, NOW)
    bens = world.links.token(world.invite, BEN, 0, NOW)
    recipient = base64.urlsafe_b64decode(bens)[16:29]

    for forged in (splice(anns, 0, other.invite.bytes), splice(anns, 16, recipient)):
        with pytest.raises(InvalidLinkError, match="altered"):
            world.links.answer(forged, "accepted", later(1))
    assert {world.row(ANN).status, world.row(BEN).status} == {"no answer"}


def test_a_link_signed_under_another_servers_secret_is_refused(world: World) -> None:
    elsewhere = replace(_settings(world), secret=secrets.token_bytes(32))
    token = RsvpLinks(world.service.load, world.service.save, elsewhere).token(
        world.invite, ANN, 0, NOW
    )

    with pytest.raises(InvalidLinkError, match="not issued by this server"):
        world.links.answer(token, "accepted", later(1))


@pytest.mark.parametrize("clicked", ["maybe", "NEEDS-ACTION", "delegated", "", "accept"])
def test_an_answer_a_link_cannot_give_is_a_plain_value_error(world: World, clicked: str) -> None:
    token = world.links.token(world.invite, ANN, 0, NOW)

    with pytest.raises(ValueError, match="accepted, declined or tentative") as raised:
        world.links.answer(token, clicked, later(1))
    assert not isinstance(raised.value, InvalidLinkError)
    assert world.row(ANN).status == "no answer"


def test_a_link_is_short_url_safe_and_never_a_reply_address_token(world: World) -> None:
    token = world.links.token(world.invite, ANN, 0, NOW)

    assert len(token) == 76
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    secret = _settings(world).secret
    assert reply_token(secret, world.invite, ANN) not in token
    assert world.links.calendar_signature(world.invite) != reply_token(secret, world.invite, ANN)


def test_a_calendar_signature_opens_only_its_own_invite(world: World) -> None:
    signature = world.links.calendar_signature(world.invite)

    assert world.links.verify_calendar_signature(world.invite, signature)
    assert not world.links.verify_calendar_signature(uuid4(), signature)
    for wrong in ("", signature[:-1], signature + "A", signature.swapcase(), "é" * 22):
        assert not world.links.verify_calendar_signature(world.invite, wrong)


def test_web_answers_count_as_their_own_client_family() -> None:
    assert client_family(WEB_PRODID) == "Web link"
    assert client_family("-//Calendar Invite Server//EN") == "-//Calendar Invite Server//EN"


@PROPERTY
@given(token=st.text(), partstat=st.one_of(st.sampled_from(["accepted"]), st.text()))
def test_random_strings_are_refused_with_a_value_error(
    shared: World, token: str, partstat: str
) -> None:
    with pytest.raises(ValueError, match=r"link|answer") as raised:
        shared.links.answer(token, partstat, later(1))
    if partstat == "accepted":
        assert isinstance(raised.value, InvalidLinkError)


@PROPERTY
@given(data=st.data())
def test_changing_any_character_of_a_link_spoils_it(shared: World, data: st.DataObject) -> None:
    token = shared.links.token(shared.invite, ANN, 0, NOW)
    where = data.draw(st.integers(0, len(token) - 1))
    instead = data.draw(st.characters().filter(lambda c: c != token[where]))
    cut = data.draw(st.booleans())
    spoiled = token[:where] if cut else token[:where] + instead + token[where + 1 :]

    with pytest.raises(InvalidLinkError):
        shared.links.answer(spoiled, "accepted", later(1))


def _settings(world: World) -> OutboundSettings:
    assert world.service.outbound is not None
    return world.service.outbound


def _emailed(world: World, address: str, partstat: str, stamp: datetime) -> tuple[bytes, str]:
    """Return (raw, envelope_to) of a Google Calendar REPLY to the copy sent to ``address``."""
    mails = OutboxFolderMailer(world.outbox).entries()
    sent = next(e for e in mails if e.method == "REQUEST" and address in e.to)
    invitation = invitation_calendar(sent.path.read_bytes())
    assert isinstance(invitation, Calendar)
    raw, reply_to = answer(invitation, address, partstat)
    reply = Calendar.from_ical(raw)
    for event in reply.events:  # a real client stamps its reply when it sends it
        del event["DTSTAMP"]
        event.add("DTSTAMP", stamp)
    return reply.to_ical(), reply_to


# -- links in the mail: when they expire, where they point, what a GET may do ----------------


def test_a_mailed_link_lives_its_ttl_or_until_the_day_after_the_event() -> None:
    assert link_expiry(NOW, None) == NOW + LINK_TTL
    assert link_expiry(NOW, NOW - timedelta(days=400)) == NOW + LINK_TTL
    assert link_expiry(NOW, NOW + timedelta(days=200)) == NOW + timedelta(days=201)
    assert link_expiry(NOW, NOW + timedelta(days=2000)) == NOW + timedelta(days=730)
    assert link_expiry(NOW, datetime.max.replace(tzinfo=UTC)) == NOW + timedelta(days=730)
    assert link_expiry(NOW + timedelta(microseconds=5), None) == NOW + LINK_TTL


def test_the_event_end_is_the_latest_moment_a_version_names() -> None:
    series = EventDetails(start="2026-12-01T10:00:00+01:00", end="2026-12-01T11:00:00+01:00")
    moved = OutboundInstance("2027-01-05T09:00:00+00:00", EventDetails(start="2027-01-05T15:00"))
    version = OutboundInvite(uuid4(), "x@y", Method.REQUEST, 0, None, series, (moved,))
    day = OutboundInvite(uuid4(), "x@y", Method.REQUEST, 0, None, EventDetails(start="2027-02-03"))
    nothing = OutboundInvite(uuid4(), "x@y", Method.REQUEST, 0, None, EventDetails())

    assert event_end(version) == datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
    assert event_end(replace(version, instances=())) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert event_end(day) == datetime(2027, 2, 3, tzinfo=UTC)
    assert event_end(nothing) is None


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://invites.example.com", "https://invites.example.com"),
        ("HTTPS://invites.example.com/", "https://invites.example.com"),
        ("http://127.0.0.1:8025", "http://127.0.0.1:8025"),
        (
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/",
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
        ),
        ("http://[::1]:8025/a%20b", "http://[::1]:8025/a%20b"),
    ],
)
def test_a_base_url_is_kept_without_its_trailing_slash(given: str, kept: str) -> None:
    assert checked_base_url(given) == kept


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("invites.example.com", "must start with https://"),
        ("ftp://invites.example.com", "must start with https://"),
        ("https://invites.example.com/?x=1", "must not have a query"),
        ("https://invites.example.com/?", "must not have a query"),
        ("https://invites.example.com/#top", "must not have a fragment"),
        ("https://user:pw@invites.example.com", "user name or password"),
        ("https:///path", "names no host"),
        ("https://invites.example.com:99999", "port is not valid"),
        ("https://invites.example.com/a b", "characters a URL cannot"),
        ('https://invites.example.com/"><script>', "characters a URL cannot"),
        ("https://invites.example.com/%zz", "two hexadecimal digits"),
        ("https://invités.example.com", "characters a URL cannot"),
    ],
)
def test_a_base_url_links_cannot_use_is_refused_saying_why(given: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        checked_base_url(given)


def test_the_setting_comes_from_cis_web_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIS_WEB_BASE_URL", "https://invites.example.com/")
    assert Settings().web_base_url == "https://invites.example.com"
    monkeypatch.setenv("CIS_WEB_BASE_URL", "")
    assert Settings().web_base_url is None
    monkeypatch.setenv("CIS_WEB_BASE_URL", "https://invites.example.com/?utm=1")
    with pytest.raises(ValidationError, match="must not have a query"):
        Settings()


def test_asking_what_a_link_would_answer_records_nothing(world: World) -> None:
    token = world.links.token(world.invite, ANN, 0, NOW)

    question = world.links.question(token, "Tentative", later(1))

    assert question == LinkQuestion(world.invite, ANN, "TENTATIVE", "the Strokes", current=True)
    assert world.row(ANN).status == "no answer"
    with pytest.raises(InvalidLinkError, match="not issued to a recipient"):
        world.links.question(world.links.token(world.invite, STRANGER, 0, NOW), "accepted", NOW)


def test_a_question_says_when_a_significant_change_replaced_the_links_version(
    world: World,
) -> None:
    old = world.links.token(world.invite, ANN, 0, NOW)
    from_organizer(
        world.service, (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes(), now=later(1)
    )

    assert not world.links.question(old, "accepted", later(2)).current
    new = world.links.token(world.invite, ANN, 1, later(1))
    assert world.links.question(new, "accepted", later(2)).current


def test_each_version_mailed_carries_a_link_to_that_version(tmp_path: Path) -> None:
    config = Settings(
        backend="memory", data_dir=tmp_path, mail_domain=DOMAIN, web_base_url="https://w.example"
    )
    service = driver(bootstrap(config))
    created = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    assert created.invite is not None
    service.send(str(created.invite), [Recipient(ANN)], now=NOW)
    from_organizer(service, (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes(), now=later(1))
    assert service.outbound is not None

    claims = []
    for entry in OutboxFolderMailer(config.outbox_path).entries():
        if entry.method == "REQUEST" and ANN in entry.to:
            message = message_from_bytes(entry.path.read_bytes(), policy=default_policy)
            assert isinstance(message, EmailMessage)
            body = message.get_body(("plain",))
            assert body is not None
            (line,) = [x for x in body.get_content().splitlines() if x.startswith("Accept: ")]
            token = urlsplit(line.removeprefix("Accept: ")).path.rsplit("/", 1)[1]
            claims.append(read_link(service.outbound.secret, token, later(2)))

    recipient = reply_token(service.outbound.secret, created.invite, ANN)
    assert [(c.invite, c.recipient, c.sequence) for c in claims] == [
        (created.invite, recipient, 0),
        (created.invite, recipient, 1),
    ]
    service.close()
