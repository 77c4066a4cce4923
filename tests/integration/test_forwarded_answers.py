"""Answers from forwarded copies: one reply address cannot mint an audience of attendees."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from application.send_types import Recipient
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import Driver, driver
from tests.invite_mail import ALICE, calendar, email_of
from tests.replies import answer, invitation_calendar

UID = "planning-1@example.com"
NOW = datetime.now(UTC)
DOMAIN = "invites.example"


def invited(tmp_path: Path) -> tuple[Driver, str, bytes]:
    """Return the service, Bob's reply address and the invitation Bob was sent (the invite's
    UID is the one of :func:`calendar`)."""
    service = driver(bootstrap(Settings(data_dir=tmp_path, mail_domain=DOMAIN)))
    created = service.ingest(email_of(calendar(), ALICE), now=NOW, envelope_from=ALICE)
    assert created.outcome is Outcome.CREATED
    service.send(str(created.invite), [Recipient("bob@example.org")], now=NOW)
    [sent] = list(service.outbox())
    mail = (tmp_path / "outbox").glob("*.eml")
    wanted = sent.message_id.strip("<>").encode()
    raw = next(m.read_bytes() for m in mail if wanted in m.read_bytes())
    parsed = invitation_calendar(raw)
    assert parsed is not None
    address = str(parsed.events[0]["ORGANIZER"]).removeprefix("mailto:")
    return service, address, raw


def forwarded_answer(service: Driver, raw: bytes, to: str, who: str, sender: str) -> str:
    parsed = invitation_calendar(raw)
    assert parsed is not None
    data, _ = answer(parsed, who, "ACCEPTED")
    result = service.ingest(data, now=NOW, envelope_to=to, envelope_from=sender)
    return f"{result.outcome.value}: {result.reason or ''}"


def test_one_copy_enrols_at_most_five_people_it_was_forwarded_to(tmp_path: Path) -> None:
    service, address, raw = invited(tmp_path)
    people = [f"friend{n}@example.net" for n in range(7)]
    outcomes = [forwarded_answer(service, raw, address, p, p) for p in people]
    assert [o.split(":")[0] for o in outcomes] == ["rsvp"] * 5 + ["rejected"] * 2
    assert "the most one invitation may" in outcomes[5]
    # Someone already enrolled may still change their answer.
    again = forwarded_answer(service, raw, address, people[0], people[0])
    assert again.split(":")[0] in {"rsvp", "duplicate", "stale"}


def test_an_answer_for_someone_else_through_a_forwarded_copy_is_quarantined(
    tmp_path: Path,
) -> None:
    service, address, raw = invited(tmp_path)
    outcome = forwarded_answer(service, raw, address, "dave@example.net", "bob@example.org")
    assert outcome.startswith("rejected: quarantined")
    assert "dave@example.net" not in {row.address for row in service.report(UID)}
