"""The issue's whole scenario in one run: real invite, CSV list, real replies, update, cancel."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from adapters.mail.outbox import OutboxFolderMailer
from application.send_types import Recipient
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.replies import answer, invitation_calendar

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
GUESTS = ["ann@example.org", "ben@example.org", "cho@example.org"]


def invitations(outbox: Path) -> list[tuple[str, str | None, int | None, Path]]:
    return [
        (parseaddr(e.to)[1], e.method, e.sequence, e.path)
        for e in OutboxFolderMailer(outbox).entries()
        if e.method
    ]


def answer_sent(sent: Path, attendee: str, partstat: str, fixture: str) -> tuple[bytes, str]:
    """A real client's REPLY fixture, re-addressed to the invitation in ``sent``."""
    calendar = invitation_calendar(sent.read_bytes())
    assert calendar is not None
    return answer(calendar, attendee, partstat, fixture)


def test_invite_list_replies_update_and_cancel(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    outbox = tmp_path / "outbox"
    request = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    invite = str(from_organizer(service, request, now=START).invite)
    rows = [Recipient(g, origin="bulk") for g in GUESTS]
    assert {r.outcome.value for r in service.send(invite, rows, now=START)} == {"sent"}

    sent = {to: path for to, _, _, path in invitations(outbox)}
    for guest, partstat, fixture in (
        (GUESTS[0], "ACCEPTED", "reply/google-reply-accepted.ics"),
        (GUESTS[1], "DECLINED", "reply/google-reply-declined.ics"),
    ):
        data, address = answer_sent(sent[guest], guest, partstat, fixture)
        assert service.ingest(data, now=START, envelope_to=address).outcome is Outcome.RSVP
    forged, address = answer_sent(
        sent[GUESTS[2]], GUESTS[0], "DECLINED", "reply/google-reply-declined.ics"
    )
    assert service.ingest(forged, now=START, envelope_to=address).outcome is Outcome.REJECTED
    statuses = {row.address: row.status for row in service.report(invite)}
    assert statuses == {GUESTS[0]: "accepted", GUESTS[1]: "declined", GUESTS[2]: "no answer"}

    update = (CORPUS / "update/gcal-selfsent-seq1.ics").read_bytes()
    assert (
        from_organizer(service, update, now=START + timedelta(hours=1)).outcome is Outcome.UPDATED
    )
    cancel = update.replace(b"METHOD:REQUEST", b"METHOD:CANCEL").replace(
        b"SEQUENCE:1", b"SEQUENCE:2"
    )
    assert (
        from_organizer(service, cancel, now=START + timedelta(hours=2)).outcome is Outcome.CANCELLED
    )

    every = invitations(outbox)
    assert Counter((to, method, seq) for to, method, seq, _ in every) == {
        (g, m, s): 1 for g in GUESTS for m, s in (("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2))
    }
    assert service.show(invite).status == "cancelled"


def test_a_reply_without_calendar_data_reaches_the_organizer(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    request = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    invite = str(from_organizer(service, request, now=START).invite)
    service.send(invite, [Recipient(GUESTS[0])], now=START)
    sent = invitations(tmp_path / "outbox")[0][3]
    _, address = answer_sent(sent, GUESTS[0], "ACCEPTED", "reply/google-reply-accepted.ics")
    note = EmailMessage()
    note["From"] = GUESTS[0]
    note["To"] = address
    note["Subject"] = "Re: Invitation"
    note.set_content("I will come, but 10 minutes late.")
    result = service.ingest(note.as_bytes(), now=START, envelope_to=address)
    assert result.outcome is Outcome.REJECTED
    assert "forwarded to the organizer" in (result.reason or "")
    told = [
        e
        for e in OutboxFolderMailer(tmp_path / "outbox").entries()
        if e.method is None and "inboxapptest@gmail.com" in e.to
    ]
    bodies = [e.path.read_bytes() for e in told]
    assert any(b"10 minutes late" in body for body in bodies)
