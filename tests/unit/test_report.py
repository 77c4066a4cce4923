"""The RSVP report: each recipient, the answer that counts now, their origin and client.

The streams are stored as the domain writes them; the report reads them through the views,
which the reading door brings up to date first."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

import pytest

from application.reading.report import ReportRow, client_family
from domain.attendance import Attendance, Reply
from domain.delivery import FORWARDED, Delivery
from domain.distribution import Distribution, distribution_id
from domain.identity import attendance_id, invite_id
from domain.invite import Invite
from domain.reply_tokens import reply_token
from domain.roster import RosterPage
from tests.driver import Driver
from tests.fakes import BOB, CAROL, DAVE, ORGANIZER, T0, UID, at, new_service, request

SECRET = secrets.token_bytes(32)
INVITE = invite_id(ORGANIZER, UID)
ERIN = "erin@example.com"
FRANK = "frank@example.com"

GOOGLE = "-//Google Inc//Google Calendar 70.9054//EN"
OUTLOOK = "-//Microsoft Corporation//Outlook 14.0 MIMEDIR//EN"
IPHONE = "-//Apple Inc.//iPhone 3.0//EN"
THUNDERBIRD = "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN"

Who = tuple[str, str | None, str]  # address, name, origin


def given_invite(service: Driver, *, sequence: int = 0) -> Invite:
    """Store the organizer's invite at ``sequence``."""
    invite = Invite(organizer=ORGANIZER, organizer_name=None, uid=UID, timestamp=T0)
    invite.receive(request(sequence=sequence), T0)
    service.save(invite)
    return invite


def given_sent(
    service: Driver,
    invite: Invite,
    *pages: list[Who],
    versions: int = 1,
    significant: bool = True,
) -> dict[str, Delivery]:
    """Store ``versions`` published versions, each sent to every recipient, roster in pages."""
    distribution = Distribution(invite=invite.id, timestamp=T0)
    for version in range(versions):
        significant_print = f"s{version}" if significant else "s0"
        distribution.publish("REQUEST", f"v{version}", significant_print, at(version))
    rosters: list[RosterPage] = []
    deliveries: dict[str, Delivery] = {}
    for number, recipients in enumerate(pages):
        if number:
            distribution.open_page(timestamp=T0)
        page = RosterPage(invite=invite.id, page=number, timestamp=T0)
        for address, name, origin in recipients:
            token = reply_token(SECRET, invite.id, address)
            delivery = Delivery(
                token=token,
                invite=invite.id,
                address=address,
                name=name,
                origin=origin,
                timestamp=T0,
            )
            if origin != FORWARDED:
                for sequence in range(distribution.sequence + 1):
                    mid = f"<{sequence}.{address}>"
                    delivery.intend(sequence, "REQUEST", mid, timestamp=at(sequence))
                    delivery.sent(sequence, "outbox", timestamp=at(sequence))
            page.add(token, timestamp=T0)
            deliveries[address] = delivery
        rosters.append(page)
    service.save(distribution, *rosters, *deliveries.values())
    return deliveries


def given_answer(
    service: Driver,
    invite: Invite,
    address: str,
    partstat: str,
    *,
    sequence: int = 0,
    prodid: str | None = GOOGLE,
    dtstamp: datetime | None = None,
    channel: str = "server",
    forwarded_by: str | None = None,
    name: str | None = None,
) -> None:
    """Store the attendee's reply in their attendance stream."""
    stream = service.load(Attendance, attendance_id(invite.id, address))
    stream = stream or Attendance(invite=invite.id, address=address, timestamp=T0)
    reply = Reply(
        partstat=partstat,
        dtstamp=dtstamp or at(30),
        sequence=sequence,
        name=name,
        prodid=prodid,
        channel=channel,
        forwarded_by=forwarded_by,
    )
    stream.record_reply(reply, at(31))
    service.save(stream)


def report(service: Driver) -> list[ReportRow]:
    """Return the report the way the service will: through the reading door."""
    return service.report(str(INVITE))


def statuses(rows: list[ReportRow]) -> dict[str, str]:
    return {row.address: row.status for row in rows}


def test_each_recipient_shows_the_answer_that_counts_and_the_client_it_came_from() -> None:
    service = new_service()
    invite = given_invite(service)
    given_sent(
        service,
        invite,
        [
            (BOB, "Bob Smith", "api"),
            (CAROL, None, "bulk"),
            (DAVE, None, "landing"),
            (ERIN, "Erin", "vip"),
            (FRANK, None, "api"),
        ],
    )
    given_answer(service, invite, BOB, "ACCEPTED", prodid=GOOGLE)
    given_answer(service, invite, CAROL, "DECLINED", prodid=OUTLOOK)
    given_answer(service, invite, ERIN, "TENTATIVE", prodid=IPHONE)
    given_answer(service, invite, FRANK, "DELEGATED", prodid=THUNDERBIRD)

    rows = report(service)

    assert [(r.address, r.status, r.client) for r in rows] == [
        (BOB, "accepted", "Google Calendar"),
        (CAROL, "declined", "Microsoft Outlook/Exchange"),
        (DAVE, "no answer", None),
        (ERIN, "tentative", "Apple"),
        (FRANK, "delegated", "Thunderbird"),
    ]
    assert rows[0] == ReportRow(
        address=BOB,
        name="Bob Smith",
        origin="api",
        status="accepted",
        last_sequence_sent=0,
        replied_at=at(30),
        client="Google Calendar",
        forwarded_by=None,
    )
    assert [r.origin for r in rows] == ["api", "bulk", "landing", "vip", "api"]


def test_a_bounced_recipient_without_an_answer_is_reported_bounced() -> None:
    service = new_service()
    invite = given_invite(service)
    sent = given_sent(service, invite, [(BOB, None, "api"), (CAROL, None, "api")])
    for address in (BOB, CAROL):
        sent[address].bounce(reason="550 5.1.1 user unknown", timestamp=at(5))
    service.save(*sent.values())
    given_answer(service, invite, CAROL, "ACCEPTED")

    # Carol's answer proves the invite reached her; it outranks a bounce of a later message.
    assert statuses(report(service)) == {BOB: "bounced", CAROL: "accepted"}


def test_an_answer_to_a_version_before_a_significant_change_no_longer_counts() -> None:
    service = new_service()
    invite = given_invite(service)
    given_sent(service, invite, [(BOB, None, "api"), (CAROL, None, "api")], versions=2)
    given_answer(service, invite, BOB, "ACCEPTED", sequence=0)
    given_answer(service, invite, CAROL, "ACCEPTED", sequence=1)

    rows = report(service)

    assert statuses(rows) == {BOB: "no answer", CAROL: "accepted"}
    assert [r.last_sequence_sent for r in rows] == [1, 1]
    # The stale answer is still shown for what it was: when and from which client.
    assert (rows[0].replied_at, rows[0].client) == (at(30), "Google Calendar")


def test_an_answer_survives_a_change_that_was_not_significant() -> None:
    service = new_service()
    invite = given_invite(service)
    given_sent(service, invite, [(BOB, None, "api")], versions=3, significant=False)
    given_answer(service, invite, BOB, "TENTATIVE", sequence=0)

    assert statuses(report(service)) == {BOB: "tentative"}


def test_an_answer_to_the_organizers_own_invite_is_measured_against_its_sequence() -> None:
    service = new_service()
    invite = given_invite(service, sequence=2)
    given_sent(service, invite, [(BOB, None, "api"), (CAROL, None, "api")])
    given_answer(service, invite, BOB, "ACCEPTED", sequence=1, channel="organizer")
    given_answer(service, invite, CAROL, "DECLINED", sequence=2, channel="organizer")

    assert statuses(report(service)) == {BOB: "no answer", CAROL: "declined"}


def test_a_needs_action_reply_is_no_answer() -> None:
    service = new_service()
    invite = given_invite(service)
    given_sent(service, invite, [(BOB, None, "api")])
    given_answer(service, invite, BOB, "NEEDS-ACTION")

    assert statuses(report(service)) == {BOB: "no answer"}


def test_an_answer_from_a_forwarded_copy_says_who_forwarded_it() -> None:
    service = new_service()
    invite = given_invite(service)
    given_sent(service, invite, [(BOB, "Bob", "api"), (DAVE, None, FORWARDED)])
    given_answer(service, invite, DAVE, "ACCEPTED", forwarded_by=BOB, name="Dave Jones")

    dave = report(service)[1]

    assert (dave.status, dave.origin, dave.forwarded_by) == ("accepted", FORWARDED, BOB)
    assert dave.last_sequence_sent is None
    assert dave.name == "Dave Jones"  # we never sent Dave anything: his reply names him


def test_rows_follow_the_address_order_whatever_page_of_the_roster_holds_them() -> None:
    service = new_service()
    invite = given_invite(service)
    given_sent(service, invite, [(CAROL, None, "bulk")], [(BOB, None, "api"), (DAVE, None, "api")])

    # The attendee listing's order: a report of any size is read a page at a time.
    assert [r.address for r in report(service)] == [BOB, CAROL, DAVE]


def test_an_invite_the_server_never_sent_has_an_empty_report() -> None:
    service = new_service()
    given_invite(service)

    assert report(service) == []
    assert service.load(Distribution, distribution_id(INVITE)) is None


def test_rows_have_a_json_shape_in_column_order() -> None:
    service = new_service()
    invite = given_invite(service)
    given_sent(service, invite, [(BOB, None, "api"), (CAROL, None, "api")])
    given_answer(service, invite, BOB, "ACCEPTED", prodid=OUTLOOK)

    bob, carol = (row.as_dict() for row in report(service))

    assert json.loads(json.dumps(bob)) == {
        "address": BOB,
        "name": None,
        "origin": "api",
        "status": "accepted",
        "last_sequence_sent": 0,
        "replied_at": at(30).isoformat(),
        "client": "Microsoft Outlook/Exchange",
        "forwarded_by": None,
        "verified_by": None,
    }
    assert list(carol) == list(bob)
    assert carol["replied_at"] is None


@pytest.mark.parametrize(
    ("prodid", "family"),
    [
        (GOOGLE, "Google Calendar"),
        (OUTLOOK, "Microsoft Outlook/Exchange"),
        ("-//Microsoft Corporation//Outlook for Mac MIMEDIR//EN", "Microsoft Outlook/Exchange"),
        ("Microsoft Exchange Server 2010", "Microsoft Outlook/Exchange"),
        ("Microsoft CDO for Microsoft Exchange", "Microsoft Outlook/Exchange"),
        (IPHONE, "Apple"),
        ("-//Apple Inc.//iCal 5.0.3//EN", "Apple"),
        ("-//CALENDARSERVER.ORG//NONSGML Version 1//EN", "Apple"),
        (THUNDERBIRD, "Thunderbird"),
        ("-//Mozilla.org/NONSGML Mozilla Thunderbird 115.0//EN", "Thunderbird"),
        ("-//Android//Calendar//EN", "Android"),
        # Unknown families keep their own PRODID, so nothing is lost.
        ("Zimbra-Calendar-Provider", "Zimbra-Calendar-Provider"),
        ("-//EXAMPLE:COM//iCal4j 1.0.5.2//EN", "-//EXAMPLE:COM//iCal4j 1.0.5.2//EN"),
        ("-//Blue Mind//Blue Mind Calendar//FR", "-//Blue Mind//Blue Mind Calendar//FR"),
        (None, None),
        ("  ", None),
    ],
)
def test_client_family_is_read_from_the_prodid(prodid: str | None, family: str | None) -> None:
    assert client_family(prodid) == family
