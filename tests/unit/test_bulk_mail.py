"""A list email names its invite by id or UID, among its sender's own invites only."""

from __future__ import annotations

from application.inbound.bulk_mail import invite_named_in
from domain.outcomes import Outcome
from tests.driver import Driver
from tests.fakes import ORGANIZER, UID, deliver, new_service, request

RIVAL = "mallory@example.net"


def two_organizers_one_uid() -> tuple[Driver, str, str]:
    """Return a service where ORGANIZER and RIVAL each have an invite with UID, and their ids."""
    service = new_service()
    ours = deliver(service, request())
    theirs = deliver(service, request(organizer=RIVAL, sender=RIVAL, summary="Copycat"))
    assert ours.outcome is theirs.outcome is Outcome.CREATED
    assert ours.invite != theirs.invite
    return service, str(ours.invite), str(theirs.invite)


def test_a_uid_another_organizer_also_uses_still_names_the_senders_invite() -> None:
    service, ours, _ = two_organizers_one_uid()

    found = invite_named_in(service.load, f"Please send [{UID}]", ORGANIZER)

    assert found is not None
    assert str(found.id) == ours


def test_a_shared_uid_names_only_the_senders_own_invite_for_each_sender() -> None:
    service, ours, theirs = two_organizers_one_uid()

    mine = invite_named_in(service.load, UID, ORGANIZER.upper())
    rivals = invite_named_in(service.load, UID, RIVAL)

    assert mine is not None
    assert rivals is not None
    assert (str(mine.id), str(rivals.id)) == (ours, theirs)


def test_another_organizers_uid_or_id_names_nothing() -> None:
    service = new_service()
    theirs = deliver(service, request(organizer=RIVAL, sender=RIVAL))

    assert invite_named_in(service.load, UID, ORGANIZER) is None
    assert invite_named_in(service.load, f"send {theirs.invite}", ORGANIZER) is None
    assert invite_named_in(service.load, UID, None) is None


def test_an_id_names_the_senders_invite() -> None:
    service, ours, _ = two_organizers_one_uid()

    found = invite_named_in(service.load, f"Send ({ours}), thanks", ORGANIZER)

    assert found is not None
    assert str(found.id) == ours
