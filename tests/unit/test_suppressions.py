"""The suppression list: what adds to it, and that no send path mails a suppressed address."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.inbound.delivery_notices import DeliveryNotice, NoticeKind, NoticeRecipient
from application.outbound.suppressions import SuppressionReason, Suppressions
from application.ports import OutgoingMail
from application.send_types import Recipient, SendOutcome
from domain.delivery import Delivery, delivery_id
from domain.reply_tokens import reply_token
from domain.suppressions import ALL, Suppression, suppression_id
from domain.unsubscribe_links import unsubscribe_token
from domain.web_links import InvalidLinkError
from tests.driver import Driver
from tests.fakes import (
    BOB,
    CAROL,
    DAVE,
    ORGANIZER,
    KeptMail,
    at,
    cancel,
    deliver,
    new_service,
    reply,
    request,
)

ERIN = "erin@example.com"
PEOPLE = (BOB, CAROL, DAVE, ERIN)


def _kept(service: Driver) -> KeptMail:
    mailer = service.container.mailer()
    assert isinstance(mailer, KeptMail)
    return mailer


def _suppressions(service: Driver) -> Suppressions:
    found: Suppressions = service.doors.outbound.suppressions
    return found


def _invite(service: Driver) -> str:
    result = deliver(service, request())
    assert result.invite is not None
    return str(result.invite)


def _token(service: Driver, invite: str, address: str) -> str:
    return reply_token(service.outbound.secret, UUID(invite), address)


def _unsubscribe_of(mail: OutgoingMail) -> str | None:
    message = email.message_from_bytes(mail.data, policy=email.policy.default)
    header = message["List-Unsubscribe"]
    if header is None:
        return None
    found = re.search(r"mailto:[^+]+\+([a-z2-7]+)@", str(header))
    assert found is not None
    return found.group(1)


def test_the_record_keeps_each_scope_with_its_reason_and_lifts_one() -> None:
    service = new_service()
    suppressions = _suppressions(service)
    suppressions.suppress(BOB, ORGANIZER, SuppressionReason.UNSUBSCRIBED, now=at(0))
    suppressions.suppress("<MAILTO:Bob@Example.com>", None, SuppressionReason.ADMIN, now=at(1))
    record = service.load(Suppression, suppression_id(BOB))
    assert record is not None
    assert set(record.scopes) == {ALL, ORGANIZER}
    assert suppressions.is_suppressed(BOB, "someone@else.example") == "admin"
    assert suppressions.lift(BOB, None, now=at(2))
    assert not suppressions.lift(BOB, None, now=at(3))
    assert suppressions.is_suppressed(BOB, "someone@else.example") is None
    assert suppressions.is_suppressed(BOB, ORGANIZER) == "unsubscribed"
    assert [v.scope for v in suppressions.list()] == [ORGANIZER]
    assert suppressions.counts(ORGANIZER).own == {"unsubscribed": 1}


def test_suppressing_again_records_nothing_new() -> None:
    service = new_service()
    suppressions = _suppressions(service)
    suppressions.suppress(BOB, None, SuppressionReason.ADMIN, now=at(0))
    first = service.load(Suppression, suppression_id(BOB))
    assert first is not None
    suppressions.suppress(BOB, None, SuppressionReason.ADMIN, now=at(1))
    again = service.load(Suppression, suppression_id(BOB))
    assert again is not None
    assert again.version == first.version


def test_a_suppressed_address_is_not_mailed_and_says_why() -> None:
    service = new_service()
    ref = _invite(service)
    _suppressions(service).suppress(BOB, ORGANIZER, SuppressionReason.ADMIN, now=at(0))
    results = service.send(ref, [Recipient(BOB), Recipient(CAROL, origin="bulk")], now=at(1))
    outcomes = {r.address: r.outcome for r in results}
    assert outcomes == {BOB: SendOutcome.SUPPRESSED, CAROL: SendOutcome.SENT}
    assert "admin" in (results[0].reason or "")
    assert [m.recipient for m in _kept(service).sent] == [CAROL]
    assert service.load(Delivery, delivery_id(_token(service, ref, BOB))) is None


def test_updates_skip_holders_who_unsubscribed_since() -> None:
    service = new_service()
    ref = _invite(service)
    service.send(ref, [Recipient(BOB, origin="bulk"), Recipient(CAROL, origin="bulk")], now=at(1))
    token = _unsubscribe_of(_kept(service).sent[0])
    assert token is not None
    _suppressions(service).unsubscribe(token, everywhere=False, now=at(2))
    before = len(_kept(service).sent)
    deliver(service, request(sequence=1, summary="Moved", dtstamp=at(3)))
    assert [m.recipient for m in _kept(service).sent[before:]] == [CAROL]


def test_a_cancellation_still_reaches_who_accepted_unless_they_left_everyone() -> None:
    service = new_service()
    ref = _invite(service)
    people = [Recipient(p, origin="bulk") for p in (BOB, CAROL, DAVE)]
    service.send(ref, people, now=at(1))
    for address in (BOB, CAROL):
        token = _token(service, ref, address)
        envelope = f"{service.outbound.rsvp_mailbox}+{token}@{service.outbound.domain}"
        answer = reply(address, "ACCEPTED", uid=f"{ref}@{service.outbound.domain}")
        assert deliver(service, answer, envelope_to=envelope).outcome.value == "rsvp"
    suppressions = _suppressions(service)
    suppressions.suppress(BOB, ORGANIZER, SuppressionReason.UNSUBSCRIBED, now=at(40))
    suppressions.suppress(CAROL, None, SuppressionReason.UNSUBSCRIBED, now=at(40))
    suppressions.suppress(DAVE, ORGANIZER, SuppressionReason.UNSUBSCRIBED, now=at(40))
    before = len(_kept(service).sent)
    deliver(service, cancel(dtstamp=at(50)))
    # Bob accepted and left only this organizer; Carol left everyone; Dave never answered.
    assert [m.recipient for m in _kept(service).sent[before:]] == [BOB]


def _notice(service: Driver, ref: str, address: str, kind: NoticeKind) -> None:
    token = _token(service, ref, address)
    notice = DeliveryNotice(
        kind=kind,
        return_path=f"{service.outbound.bounce_mailbox}+{token}@{service.outbound.domain}",
        recipients=(NoticeRecipient(address),),
        permanent=True,
        detail="abuse" if kind is NoticeKind.COMPLAINT else "Permanent/General",
        provider="ses",
    )
    service.doors.inbound.record_delivery_notice(notice, now=at(5))


@pytest.mark.parametrize(
    ("kind", "reason"),
    [(NoticeKind.COMPLAINT, "complaint"), (NoticeKind.BOUNCE, "hard-bounce")],
)
def test_complaints_and_hard_bounces_suppress_server_wide(kind: NoticeKind, reason: str) -> None:
    service = new_service()
    ref = _invite(service)
    service.send(ref, [Recipient(BOB)], now=at(1))
    _notice(service, ref, BOB, kind)
    assert _suppressions(service).is_suppressed(BOB, "anyone@else.example") == reason


def test_an_unsubscribe_token_works_for_its_holder_only() -> None:
    service = new_service()
    ref = _invite(service)
    service.send(ref, [Recipient(BOB, origin="bulk"), Recipient(CAROL, origin="bulk")], now=at(1))
    suppressions = _suppressions(service)
    bob = unsubscribe_token(service.outbound.secret, _token(service, ref, BOB), BOB, ORGANIZER)
    # Carol's locator under Bob's MAC: refused, and so is an altered or foreign token.
    carols = unsubscribe_token(
        service.outbound.secret, _token(service, ref, CAROL), CAROL, ORGANIZER
    )
    swapped = carols[:21] + bob[21:]
    other_secret = unsubscribe_token(b"another", _token(service, ref, BOB), BOB, ORGANIZER)
    altered = bob[:-1] + ("a" if bob[-1] != "a" else "b")
    for bad in (swapped, other_secret, altered, bob[:-2], "", "x" * 47, bob.upper() + "="):
        with pytest.raises(InvalidLinkError):
            suppressions.unsubscribe(bad, everywhere=True, now=at(2))
    assert suppressions.list() == []
    assert suppressions.question(bob).organizer == ORGANIZER
    assert suppressions.unsubscribe(bob.upper(), everywhere=False, now=at(2)).changed
    assert suppressions.is_suppressed(BOB, ORGANIZER) == "unsubscribed"
    assert suppressions.is_suppressed(CAROL, ORGANIZER) is None


def test_only_list_sends_carry_list_unsubscribe() -> None:
    service = new_service()
    ref = _invite(service)
    service.send(ref, [Recipient(BOB), Recipient(CAROL, origin="bulk")], now=at(1))
    service.send(ref, [Recipient(DAVE, origin="campaign")], now=at(1))
    carried = {m.recipient: _unsubscribe_of(m) is not None for m in _kept(service).sent}
    assert carried == {BOB: False, CAROL: True, DAVE: True}


# The property: for any interleaving of sends (single, bulk, landing), updates,
# unsubscribes, complaints, bounces, lifts and erasures, nothing is handed to the mailer for
# an address whose suppression (or erasure, which no lift undoes) was recorded before the step.
_STEP = st.one_of(
    st.tuples(st.sampled_from(["single", "bulk", "landing"]), st.sampled_from(PEOPLE)),
    st.tuples(
        st.sampled_from(["unsubscribe", "unsubscribe-all", "complaint", "bounce", "admin"]),
        st.sampled_from(PEOPLE),
    ),
    st.tuples(st.just("lift"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("erase"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("update"), st.just("")),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=st.lists(_STEP, min_size=1, max_size=14))
def test_no_mail_reaches_a_suppressed_address(steps: list[tuple[str, str]]) -> None:
    service = new_service()
    ref = _invite(service)
    suppressions = _suppressions(service)
    landing = service.doors.links.landing_signature(UUID(ref))
    kept = _kept(service)
    issued: dict[str, str] = {}  # address → an unsubscribe token it was mailed
    erased: set[str] = set()
    sequence = 0
    for number, (kind, address) in enumerate(steps):
        now = at(1) + timedelta(minutes=number)
        blocked = {p for p in PEOPLE if suppressions.is_suppressed(p, ORGANIZER) is not None}
        blocked |= erased
        before = len(kept.sent)
        delivered = address and service.load(Delivery, delivery_id(_token(service, ref, address)))
        if kind == "single":
            service.send(ref, [Recipient(address)], now=now)
        elif kind == "bulk":
            service.send(ref, [Recipient(address, origin="bulk")], now=now)
        elif kind == "landing":
            service.doors.links.landing(UUID(ref), landing, address, None, now)
        elif kind == "update":
            sequence += 1
            deliver(service, request(sequence=sequence, summary=f"v{sequence}", dtstamp=now))
        elif kind in ("unsubscribe", "unsubscribe-all"):
            if address in issued:
                suppressions.unsubscribe(
                    issued[address], everywhere=kind == "unsubscribe-all", now=now
                )
                assert suppressions.is_suppressed(address, ORGANIZER) is not None
        elif kind in ("complaint", "bounce"):
            notice = NoticeKind.COMPLAINT if kind == "complaint" else NoticeKind.BOUNCE
            _notice(service, ref, address, notice)
            if delivered:
                assert suppressions.is_suppressed(address, "x@y.example") is not None
        elif kind == "admin":
            suppressions.suppress(address, ORGANIZER, SuppressionReason.ADMIN, now=now)
        elif kind == "lift":
            suppressions.lift(address, ORGANIZER, now=now)
            suppressions.lift(address, None, now=now)
        elif kind == "erase":
            service.doors.privacy.erase(address, now=now)
            erased.add(address)
        for mail in kept.sent[before:]:
            assert mail.recipient not in blocked, (kind, mail.recipient)
            token = _unsubscribe_of(mail)
            if token is not None:
                issued[mail.recipient] = token


def test_an_erased_holders_unsubscribe_link_says_they_are_out_of_everything() -> None:
    service = new_service()
    ref = _invite(service)
    service.send(ref, [Recipient(CAROL, origin="bulk")], now=at(1))
    token = _unsubscribe_of(_kept(service).sent[-1])
    assert token is not None
    service.doors.privacy.erase(CAROL, now=at(2))
    suppressions = _suppressions(service)
    question = suppressions.question(token)
    assert (question.already, question.everywhere) == (True, True)
    done = suppressions.unsubscribe(token, everywhere=False, now=at(3))
    assert (done.scope, done.changed) == ("all", False)
    assert suppressions.list() == []  # nothing recorded for the placeholder
