"""The RSVP report read from the views says what each recipient's own streams say.

The oracle is the aggregate reading that ``recipients`` still does (``cis show``): each
recipient's delivery and attendance streams loaded and judged under the invite's current
thresholds. The report must give the same rows, by address, a page of views at a time.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.reading.queries import find_invite
from application.reading.report import ReportRow, recipients, rsvp_report
from domain.attendance import Attendance, Reply
from domain.delivery import FORWARDED
from domain.identity import attendance_id
from tests.driver import Driver
from tests.fakes import BOB, CAROL, DAVE, at, new_service
from tests.unit.test_projection_properties import scenario
from tests.unit.test_report import (
    ERIN,
    FRANK,
    GOOGLE,
    INVITE,
    IPHONE,
    OUTLOOK,
    THUNDERBIRD,
    Who,
    given_answer,
    given_invite,
    given_sent,
)

GRACE = "grace@example.com"
HENRY = "henry@example.com"
IVAN = "ivan@example.com"
STRANGER = "stranger@example.com"
# When bounces and late answers arrive: after every send the helpers store.
LATER = at(40)


def from_the_streams(service: Driver, ref: str) -> list[ReportRow]:
    """The rows each recipient's own streams give, by address (the reference)."""
    invite = find_invite(service.load, ref)
    return sorted((view.row for view in recipients(service.load, invite)), key=_address)


def _address(row: ReportRow) -> str:
    return row.address


def test_every_kind_of_answer_reads_the_same_from_the_views_as_from_the_streams() -> None:
    service = new_service()
    invite = given_invite(service, sequence=1)
    sent = given_sent(
        service,
        invite,
        [(BOB, "Bob", "api"), (CAROL, None, "bulk"), (DAVE, None, "landing")],
        [(ERIN, "Erin", "vip"), (FRANK, None, "api"), (GRACE, None, FORWARDED)],
        [(HENRY, None, "bulk"), (IVAN, None, "api")],
        versions=3,
    )
    given_answer(service, invite, BOB, "ACCEPTED", sequence=2, prodid=GOOGLE)
    given_answer(service, invite, CAROL, "DECLINED", sequence=2, prodid=OUTLOOK)
    # Answered the version before the last significant change: no longer counts.
    given_answer(service, invite, DAVE, "ACCEPTED", sequence=1, prodid=IPHONE)
    given_answer(service, invite, ERIN, "TENTATIVE", sequence=2, prodid=IPHONE)
    given_answer(service, invite, FRANK, "DELEGATED", sequence=2, prodid=THUNDERBIRD)
    given_answer(service, invite, GRACE, "ACCEPTED", sequence=2, forwarded_by=ERIN, name="Grace")
    # The organizer's own copy, measured against the organizer's SEQUENCE (1).
    given_answer(service, invite, HENRY, "ACCEPTED", sequence=1, channel="organizer")
    for address in (IVAN, CAROL):  # a bounce alone, and one an answer outranks
        sent[address].bounce(reason="550 5.1.1 user unknown", timestamp=LATER)
    service.save(sent[IVAN], sent[CAROL])
    # Someone never sent the invite answers: listed by the views, but no recipient.
    stranger = Attendance(invite=invite.id, address=STRANGER, timestamp=LATER)
    stranger.record_reply(Reply(partstat="ACCEPTED", dtstamp=LATER), LATER)
    service.save(stranger)

    rows = service.report(str(INVITE))

    assert rows == from_the_streams(service, str(INVITE))
    assert {row.address: row.status for row in rows} == {
        BOB: "accepted",
        CAROL: "declined",
        DAVE: "no answer",
        ERIN: "tentative",
        FRANK: "delegated",
        GRACE: "accepted",
        HENRY: "accepted",
        IVAN: "bounced",
    }
    grace = next(row for row in rows if row.address == GRACE)
    assert (grace.origin, grace.forwarded_by, grace.name) == (FORWARDED, ERIN, "Grace")


def test_real_mail_sent_answered_updated_and_cancelled_reports_the_same(tmp_path: Path) -> None:
    service, invites = scenario(tmp_path)

    for invite in invites:
        rows = service.report(str(invite))
        assert rows, "each invite was sent to someone"
        assert rows == from_the_streams(service, str(invite))


def test_a_report_larger_than_a_page_is_every_row_once_in_address_order() -> None:
    service = new_service()
    invite = given_invite(service)
    guests: list[Who] = [(f"guest{n:03}@example.org", None, "bulk") for n in range(57)]
    given_sent(service, invite, guests[:30], guests[30:])
    for n, (address, _, _) in enumerate(guests[::4]):
        given_answer(service, invite, address, ("ACCEPTED", "DECLINED")[n % 2])
    expected = service.report(str(INVITE))
    views = service.doors.reading.views

    paged = list(rsvp_report(views, INVITE, page=5))

    assert paged == expected == from_the_streams(service, str(INVITE))
    assert [row.address for row in paged] == sorted(a for a, _, _ in guests)


def test_an_answer_stored_after_one_report_is_in_the_next() -> None:
    service = new_service()
    invite = given_invite(service)
    given_sent(service, invite, [(BOB, None, "api")])
    assert [row.status for row in service.report(str(INVITE))] == ["no answer"]

    given_answer(service, invite, BOB, "ACCEPTED")

    # Nothing runs the projections in the background here: the report caught them up.
    assert [row.status for row in service.report(str(INVITE))] == ["accepted"]


def test_the_report_file_in_pieces_is_the_whole_file() -> None:
    service = new_service()
    invite = given_invite(service)
    given_sent(service, invite, [(f"g{n}@example.org", f"=G{n}", "api") for n in range(11)])
    reading = service.doors.reading
    rows = service.report(str(INVITE))

    pieces = list(reading.report_file_pieces(iter(rows), page=4))

    assert len(pieces) == 1 + 3  # the header, then three pages
    assert b"".join(pieces) == reading.report_file(rows)
    assert b"".join(reading.report_file_pieces([])) == reading.report_file([])


ADDRESSES = [f"p{n}@example.org" for n in range(6)]
answers = st.fixed_dictionaries(
    {
        "partstat": st.sampled_from(
            ["ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED", "NEEDS-ACTION"]
        ),
        "sequence": st.one_of(st.none(), st.integers(0, 3)),
        "channel": st.sampled_from(["server", "organizer"]),
        "prodid": st.sampled_from([GOOGLE, OUTLOOK, IPHONE, THUNDERBIRD, None, "Zimbra"]),
        "forwarded_by": st.sampled_from([None, BOB]),
        "verified_by": st.sampled_from([None, "reply address", "dmarc"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    organizer_sequence=st.integers(0, 3),
    versions=st.integers(1, 3),
    significant=st.booleans(),
    split=st.integers(1, len(ADDRESSES)),
    replies=st.lists(st.tuples(st.sampled_from(ADDRESSES), answers), max_size=10),
    bounced=st.sets(st.sampled_from(ADDRESSES)),
)
def test_any_history_of_sends_answers_and_bounces_reports_as_the_streams_say(
    organizer_sequence: int,
    versions: int,
    significant: bool,
    split: int,
    replies: list[tuple[str, dict[str, object]]],
    bounced: set[str],
) -> None:
    service = new_service()
    invite = given_invite(service, sequence=organizer_sequence)
    who: list[Who] = [(address, None, "api") for address in ADDRESSES]
    sent = given_sent(
        service, invite, who[:split], who[split:], versions=versions, significant=significant
    )
    for address in bounced:
        sent[address].bounce(reason="550", timestamp=LATER)
    service.save(*sent.values())
    for n, (address, answer) in enumerate(replies):
        stream = service.load(Attendance, attendance_id(invite.id, address))
        stream = stream or Attendance(invite=invite.id, address=address, timestamp=LATER)
        reply = Reply(dtstamp=LATER + timedelta(minutes=n), **answer)  # type: ignore[arg-type]
        stream.record_reply(reply, LATER + timedelta(hours=1))
        service.save(stream)

    assert service.report(str(INVITE)) == from_the_streams(service, str(INVITE))
