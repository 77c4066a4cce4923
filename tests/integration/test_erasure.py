"""Erasure end to end on the embedded default: after ``erase``, no byte of the person's address
or name is left in any file of the data folder, the views rebuild with the same counts, and
the person is never mailed again."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID

import pytest
from icalendar import Calendar, Event, vCalAddress

from application.outbound.suppressions import SuppressionReason
from application.send_types import Recipient, SendOutcome
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import Driver, driver
from tests.invite_mail import ALICE, email_of
from tests.replies import invitation_calendar

NOW = datetime.now(UTC).replace(microsecond=0)
DOMAIN = "invites.example"
ZELDA = "Zelda.Quintessa@example.net"
NAME = "Zelda Quintessa"
# What must not survive, in any case: her address's local part and her family name.
TRACES = (b"zelda.quintessa", b"quintessa")
OTHERS = ("bob@example.org", "carol@example.org")


def organizer_calendar() -> bytes:
    """Alice's invitation naming Zelda (with her name) and Bob as attendees."""
    cal = Calendar()
    cal.add("prodid", "-//Tests//Erasure//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", "erasure-1@example.com")
    event.add("dtstamp", NOW - timedelta(minutes=1))
    event.add("dtstart", NOW + timedelta(days=7))
    event.add("dtend", NOW + timedelta(days=7, hours=1))
    event.add("summary", "Planning")
    event.add("organizer", vCalAddress(f"mailto:{ALICE}"), parameters={"CN": "Alice"})
    for address, name in ((ZELDA, NAME), (OTHERS[0], "Bob")):
        event.add("attendee", vCalAddress(f"mailto:{address}"), parameters={"CN": name})
    cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def list_mail(invite: str) -> bytes:
    """Alice's list, mailed to the bulk mailbox, with Zelda on it."""
    message = EmailMessage()
    message["From"] = ALICE
    message["To"] = f"bulk@{DOMAIN}"
    message["Subject"] = f"Send [{invite}] please"
    message.set_content("Please send my invite to this list.")
    rows = [f"{ZELDA},{NAME}", *(f"{address},Guest" for address in OTHERS)]
    csv = ("email,name\n" + "\n".join(rows) + "\n").encode()
    message.add_attachment(csv, maintype="text", subtype="csv", filename="guests.csv")
    return message.as_bytes()


def sent_to(folder: Path, address: str) -> bytes:
    """The invitation the outbox folder kept for ``address``."""
    for path in sorted((folder / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address.lower() in str(message["To"]).lower() and invitation_calendar(path.read_bytes()):
            return path.read_bytes()
    raise AssertionError(f"nothing was sent to {address}")


def reply_of(invitation: bytes, partstat: str) -> tuple[bytes, str]:
    """Zelda's answer, with her name, to the copy the server sent her."""
    parsed = invitation_calendar(invitation)
    assert parsed is not None
    ours = parsed.events[0]
    cal = Calendar()
    cal.add("prodid", "-//Google Inc//Google Calendar 70.9054//EN")
    cal.add("version", "2.0")
    cal.add("method", "REPLY")
    event = Event()
    for name in ("UID", "SEQUENCE", "ORGANIZER", "DTSTART", "DTEND"):
        event[name] = ours[name]
    event.add("dtstamp", NOW)
    who = vCalAddress(f"mailto:{ZELDA}")
    who.params["PARTSTAT"] = partstat
    who.params["CN"] = NAME
    event["ATTENDEE"] = who
    event.add("comment", f"Looking forward to it - {NAME}")
    cal.add_component(event)
    data: bytes = cal.to_ical()
    return data, str(ours["ORGANIZER"]).removeprefix("mailto:")


def traces(folder: Path) -> Iterator[str]:
    """Yield each file of ``folder`` that holds a trace of Zelda, with what it holds."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        for trace in TRACES:
            if trace in data:
                yield f"{path.relative_to(folder)}: {trace.decode()}"


def told(tmp_path: Path) -> tuple[Driver, UUID]:
    """A data folder where Zelda was invited by Alice, sent the invitation from a list,
    answered it with her name and a comment, and unsubscribed from Alice."""
    service = driver(bootstrap(Settings(data_dir=tmp_path, mail_domain=DOMAIN)))
    created = service.ingest(email_of(organizer_calendar(), ALICE), now=NOW, envelope_from=ALICE)
    assert created.outcome is Outcome.CREATED
    assert created.invite is not None
    invite = created.invite
    bulk = service.ingest(list_mail(str(invite)), now=NOW, envelope_to=f"bulk@{DOMAIN}")
    assert bulk.outcome is Outcome.BULK
    data, reply_to = reply_of(sent_to(tmp_path, ZELDA), "ACCEPTED")
    answered = service.ingest(data, now=NOW, envelope_to=reply_to, envelope_from=ZELDA.lower())
    assert answered.outcome is Outcome.RSVP, answered.reason
    suppressions = service.doors.outbound.suppressions
    suppressions.suppress(ZELDA, ALICE, SuppressionReason.UNSUBSCRIBED, now=NOW)
    service.container.projections().run()
    return service, invite


def test_erasure_leaves_no_trace_and_keeps_every_count(tmp_path: Path) -> None:
    service, invite = told(tmp_path)
    assert list(traces(tmp_path)), "the story must have left traces to erase"
    reports = service.container.reports()
    before = reports.statistics(invite)
    assert before is not None

    exported = service.doors.privacy.export(ZELDA)
    assert {record["record"] for record in exported["records"]} >= {
        "Attendance",
        "Delivery",
        "Suppression",
    }
    assert NAME in str(exported)

    erasure = service.doors.privacy.erase(ZELDA, now=NOW)
    assert not erasure.already
    assert erasure.view_rows == 1
    assert erasure.messages_deleted == 1  # her answer; Alice's invitation and list redacted
    assert erasure.messages_redacted >= 2
    assert erasure.copies_deleted == 1  # the invitation sent to her
    assert list(traces(tmp_path)) == []

    # The views rebuilt from the events alone: the same counts, her row anonymous.
    service.container.projections().rebuild()
    assert reports.statistics(invite) == before
    rows = reports.attendees(invite).items
    assert erasure.placeholder in [row["address"] for row in rows]
    assert list(traces(tmp_path)) == []

    # Never mailed again, from any path; the others still are.
    results = service.send(
        str(invite), [Recipient(ZELDA, origin="bulk"), Recipient(OTHERS[1])], now=NOW
    )
    outcomes = {result.address.lower(): result.outcome for result in results}
    assert outcomes[ZELDA.lower()] is SendOutcome.SUPPRESSED
    assert outcomes[OTHERS[1]] is not SendOutcome.SUPPRESSED
    assert service.doors.privacy.erase(ZELDA, now=NOW).already


@pytest.mark.parametrize("spelling", [ZELDA, ZELDA.upper(), f"mailto:{ZELDA.lower()}"])
def test_erasure_finds_the_person_however_the_address_is_written(
    tmp_path: Path, spelling: str
) -> None:
    service, _ = told(tmp_path)
    assert service.doors.privacy.erase(spelling, now=NOW).streams >= 3
    assert list(traces(tmp_path)) == []


def test_the_cli_exports_and_erases_with_the_data_folder_of_its_settings(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from entrypoints.cli import app

    service, _ = told(tmp_path)
    service.close()
    runner = CliRunner()
    env = {"CIS_DATA_DIR": str(tmp_path), "CIS_MAIL_DOMAIN": DOMAIN}
    exported = runner.invoke(app, ["export", ZELDA], env=env)
    assert exported.exit_code == 0, exported.output
    assert NAME in exported.stdout
    assert json.loads(exported.stdout)["address"] == ZELDA.lower()
    erased = runner.invoke(app, ["erase", ZELDA], env=env)
    assert erased.exit_code == 0, erased.output
    assert json.loads(erased.stdout)["already"] is False
    assert list(traces(tmp_path)) == []
    refused = runner.invoke(app, ["erase", "not an address"], env=env)
    assert refused.exit_code == 2
    assert "--help" not in refused.output
    helped = runner.invoke(app, ["erase", "--help"], env=env)
    assert "never mailed again" in " ".join(helped.output.split())
