"""Only the organizer speaks for the organizer: the sender rules over verification verdicts.

The verifier here is a hand-written fake that answers what a mail authenticator would for
each From domain; the DKIM/SPF machinery itself is tested with real keys elsewhere.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from application.ports import Notice, NoticeSender, SenderVerifier
from domain.authentication import SenderAuthentication, SenderPolicy
from domain.identity import received_message_id
from domain.indexes import InboundMessage
from domain.outcomes import Outcome
from domain.values import Attendee
from tests.driver import Driver
from tests.fakes import (
    BOB,
    ORGANIZER,
    UID,
    at,
    attendee,
    cancel,
    deliver,
    details,
    new_service,
    reply,
    request,
)

MALLORY = "mallory@evil.example"
ASSISTANT = "assistant@example.com"
RELAY = "noreply@insideicloud.icloud.com"


class FakeVerifier(SenderVerifier):
    """Says a message is DMARC-aligned exactly when its From domain is in ``aligned``."""

    def __init__(self, *aligned: str) -> None:
        self.aligned = set(aligned)
        self.verified = 0

    def verify(
        self,
        raw: bytes,
        *,
        envelope_from: str | None,
        client_ip: str | None = None,
        helo: str | None = None,
    ) -> SenderAuthentication:
        self.verified += 1
        domain = envelope_from.rpartition("@")[2] if envelope_from else None
        return SenderAuthentication(
            checked_by="fake",
            from_domain=domain,
            aligned=domain in self.aligned,
            aligned_by=f"dkim {domain}" if domain in self.aligned else None,
        )


class Notices(NoticeSender):
    """Keeps every notice the service sends."""

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def send(self, notice: Notice, *, now: object) -> str:
        self.sent.append(notice)
        return "kept"


def service_with(
    *aligned: str,
    policy: SenderPolicy = SenderPolicy.DMARC,
    notices: NoticeSender | None = None,
) -> Driver:
    """Return a service whose fake verifier vouches for the ``aligned`` From domains."""
    return new_service(
        sender_policy=policy,
        verifier=FakeVerifier(*aligned),
        notices=notices,
        relays=frozenset({"insideicloud.icloud.com"}),
    )


def verifier_of(service: Driver) -> FakeVerifier:
    """Return the fake verifier the service was built with."""
    verifier = service.container.verifier()
    assert isinstance(verifier, FakeVerifier)
    return verifier


def send(service: Driver, message: object, **envelope: str | None) -> Outcome:
    """Deliver ``message``; the fake verifier reads the From domain from the envelope."""
    sender = getattr(message, "sender", None)
    envelope.setdefault("envelope_from", sender)
    result = deliver(service, message, **envelope)  # type: ignore[arg-type]
    return result.outcome


def test_an_aligned_request_from_the_organizer_is_created() -> None:
    service = service_with("example.com")
    result = deliver(service, request(), envelope_from=ORGANIZER)
    assert result.outcome is Outcome.CREATED
    receipt = service.load(InboundMessage, received_message_id(result.message))
    assert receipt is not None
    assert receipt.sender is not None
    assert receipt.sender["vouched_by"] == "DMARC alignment (dkim example.com)"


def test_a_forged_from_naming_the_organizer_is_rejected_and_says_why() -> None:
    service = service_with()  # nothing vouches for example.com
    result = deliver(service, request(), envelope_from=ORGANIZER)
    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert "could not be verified" in result.reason
    assert list(service.invites()) == []


def test_a_forged_cancel_leaves_the_invite_and_shows_in_its_history() -> None:
    service = service_with("example.com")
    deliver(service, request(), envelope_from=ORGANIZER)
    verifier_of(service).aligned.clear()  # the next message is not the organizer's
    forged = deliver(service, cancel(sequence=1, dtstamp=at(5)), envelope_from=ORGANIZER)
    assert forged.outcome is Outcome.REJECTED
    assert service.show(UID).status == "confirmed"
    noted = [e for e in service.history(UID) if e.type == "SenderNoted"]
    assert [n.data["outcome"] for n in noted] == ["created", "rejected"]
    assert noted[1].data["authentication"]["aligned"] is False


def test_sent_by_from_the_attackers_own_calendar_does_not_count() -> None:
    service = service_with("evil.example")  # the attacker's own domain signs their mail
    message = request(sender=MALLORY)
    message = replace(message, sent_by=MALLORY)
    assert send(service, message) is Outcome.REJECTED


def test_a_delegate_of_the_organizers_own_domain_counts() -> None:
    service = service_with("example.com")
    message = replace(request(sender=ASSISTANT), sent_by=ASSISTANT)
    assert send(service, message) is Outcome.CREATED


@pytest.mark.parametrize("policy", list(SenderPolicy))
def test_two_from_addresses_are_rejected_under_every_policy(policy: SenderPolicy) -> None:
    service = service_with("example.com", policy=policy)
    message = replace(request(), from_addresses=(ORGANIZER, MALLORY))
    result = deliver(service, message, envelope_from=ORGANIZER)
    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert "several From addresses" in result.reason


@pytest.mark.parametrize("policy", list(SenderPolicy))
def test_no_from_and_no_envelope_sender_is_rejected_under_every_policy(
    policy: SenderPolicy,
) -> None:
    service = service_with("example.com", policy=policy)
    result = deliver(service, request(sender=None))
    assert result.outcome is Outcome.REJECTED


def test_a_calendar_relay_counts_only_when_its_own_domain_is_verified() -> None:
    signed = service_with("insideicloud.icloud.com")
    assert send(signed, request(sender=RELAY)) is Outcome.CREATED
    unsigned = service_with()
    assert send(unsigned, request(sender=RELAY)) is Outcome.REJECTED


def test_policy_off_believes_the_from_and_verifies_nothing() -> None:
    service = service_with(policy=SenderPolicy.OFF)
    assert send(service, request()) is Outcome.CREATED
    assert verifier_of(service).verified == 0


def test_a_domain_policy_overrides_the_server_default() -> None:
    service = service_with()
    service.registry.set_domain_policy("example.com", SenderPolicy.OFF, now=at(0))
    assert send(service, request()) is Outcome.CREATED


def private_setup(policy: SenderPolicy) -> tuple[Driver, str]:
    service = service_with(policy=policy)
    secret = service.registry.issue_private_address(ORGANIZER, now=at(0))
    return service, secret


def test_the_private_address_is_enough_under_dmarc_or_private() -> None:
    service, secret = private_setup(SenderPolicy.DMARC_OR_PRIVATE)
    to = f"create+{secret}@invites.example"
    assert send(service, request(), envelope_to=to) is Outcome.CREATED


def test_a_wrong_or_revoked_private_secret_is_refused() -> None:
    service, secret = private_setup(SenderPolicy.DMARC_OR_PRIVATE)
    assert send(service, request(), envelope_to="create+wrong@invites.example") is (
        Outcome.REJECTED
    )
    service.registry.revoke_private_address(ORGANIZER, now=at(1))
    to = f"create+{secret}@invites.example"
    assert send(service, request(), envelope_to=to) is Outcome.REJECTED


def test_under_dmarc_alone_the_private_address_is_not_enough() -> None:
    service, secret = private_setup(SenderPolicy.DMARC)
    to = f"create+{secret}@invites.example"
    assert send(service, request(), envelope_to=to) is Outcome.REJECTED


def test_private_only_refuses_aligned_mail_to_the_plain_address() -> None:
    service = service_with("example.com", policy=SenderPolicy.PRIVATE_ONLY)
    result = deliver(service, request(), envelope_from=ORGANIZER)
    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert "private drop-box address" in result.reason


def bob_declines_from_mallory() -> object:
    far = request().components[0].dtstamp
    assert far is not None
    return reply(BOB, "DECLINED", dtstamp=far.replace(year=2099), sender=MALLORY)


def test_a_forged_reply_to_the_plain_mailbox_is_quarantined_and_locks_nothing() -> None:
    service = service_with("example.com", "evil.example")
    deliver(service, request(), envelope_from=ORGANIZER)
    forged = deliver(service, bob_declines_from_mallory(), envelope_from=MALLORY, now=at(10))  # type: ignore[arg-type]
    assert forged.outcome is Outcome.REJECTED
    own = deliver(service, reply(BOB, "ACCEPTED", dtstamp=at(20)), envelope_from=BOB, now=at(20))
    assert own.outcome is Outcome.RSVP
    [bob] = [a for a in service.show(UID).attendees if a.address == BOB]
    assert bob.partstat == "ACCEPTED"


def test_an_unverified_reply_to_the_plain_mailbox_is_quarantined() -> None:
    service = service_with("example.com")
    deliver(service, request(), envelope_from=ORGANIZER)
    verifier_of(service).aligned.clear()
    result = deliver(service, reply(BOB, "ACCEPTED", dtstamp=at(20)), envelope_from=BOB)
    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert result.reason.startswith("quarantined")


def test_a_verified_reply_counts_only_for_its_sender() -> None:
    service = service_with("example.com")
    deliver(service, request(), envelope_from=ORGANIZER)
    message = reply(BOB, "ACCEPTED", dtstamp=at(20))
    carol = Attendee(address="carol@example.com", partstat="DECLINED")
    both = replace(
        message,
        components=(
            replace(
                message.components[0],
                details=details(attendees=(attendee(BOB, "ACCEPTED"), carol)),
            ),
        ),
    )
    assert deliver(service, both, envelope_from=BOB).outcome is Outcome.RSVP
    statuses = {a.address: a.partstat for a in service.show(UID).attendees}
    assert statuses[BOB] == "ACCEPTED"
    assert statuses["carol@example.com"] != "DECLINED"


def test_rejections_go_only_to_verified_senders_without_quoting_them() -> None:
    notices = Notices()
    service = service_with("example.com", notices=notices)
    forged = replace(request(sender=ORGANIZER), organizer="ceo@other.example")
    deliver(service, forged, envelope_from=ORGANIZER)  # verified sender, refused message
    deliver(service, request(sender=MALLORY), envelope_from=MALLORY)  # forged: no notice
    rejected = [n for n in notices.sent if n.kind == "rejected"]
    assert [n.to for n in rejected] == [ORGANIZER]
    assert "subject" not in rejected[0].facts


def test_rejection_notices_are_rate_limited_per_address() -> None:
    notices = Notices()
    service = service_with("example.com", notices=notices)
    for minute in range(12):
        forged = replace(request(sender=ORGANIZER), organizer=f"ceo{minute}@other.example")
        deliver(service, forged, envelope_from=ORGANIZER, now=at(minute))
    assert len([n for n in notices.sent if n.kind == "rejected"]) == 5
