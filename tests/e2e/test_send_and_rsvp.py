"""The whole loop from the command line: ingest, send, answer by token, forge, cancel."""

from __future__ import annotations

import json
from pathlib import Path

from icalendar import Calendar

from tests.conftest import CORPUS
from tests.corpus_mail import organizer_of
from tests.e2e.test_cli import cis, lines
from tests.replies import answer, invitation_calendar

DOMAIN = "invites.example"


def organizers_file(tmp_path: Path, name: str) -> list[dict[str, object]]:
    """Ingest one of the corpus organizer's bare .ics files, mailed from the organizer."""
    path = CORPUS / name
    sender = organizer_of(path.read_bytes())
    return lines(cis(tmp_path, "--data-dir", str(tmp_path), "ingest", "--from", sender, str(path)))


def sent_mail(tmp_path: Path) -> list[dict[str, object]]:
    return lines(cis(tmp_path, "outbox", "--json"))


def calendar_of(path: str) -> Calendar:
    calendar = invitation_calendar(Path(path).read_bytes())
    assert calendar is not None
    return calendar


def reply_from_fixture(invitation: Calendar, attendee: str, partstat: str) -> bytes:
    """Google's real REPLY fixture, re-addressed to what our invitation said."""
    return answer(invitation, attendee, partstat)[0]


def test_send_reply_by_token_and_refuse_a_forgery(tmp_path: Path) -> None:
    env_args = ("--data-dir", str(tmp_path))
    created = organizers_file(tmp_path, "update/gcal-selfsent-seq0.ics")
    invite = str(created[0]["invite"])
    for address in ("bob@example.org", "carol@example.org"):
        sent = lines(cis(tmp_path, *env_args, "send", invite, "--to", address, "--json"))
        assert sent[0]["outcome"] == "sent"
    again = lines(cis(tmp_path, *env_args, "send", invite, "--to", "bob@example.org", "--json"))
    assert again[0]["outcome"] == "duplicate"
    outbox = sent_mail(tmp_path)
    assert [(m["to"], m["method"], m["sequence"], m["status"]) for m in outbox] == [
        ("bob@example.org", "REQUEST", 0, "sent"),
        ("carol@example.org", "REQUEST", 0, "sent"),
    ]
    invitation = calendar_of(str(outbox[0]["file"]))
    organizer = str(invitation.events[0]["ORGANIZER"]).removeprefix("mailto:")
    assert organizer.startswith("rsvp+")

    reply = tmp_path / "reply.ics"
    reply.write_bytes(reply_from_fixture(invitation, "bob@example.org", "ACCEPTED"))
    answered = lines(cis(tmp_path, *env_args, "ingest", "--to", organizer, str(reply)))
    assert answered[0]["outcome"] == "rsvp"

    forged = tmp_path / "forged.ics"
    forged.write_bytes(reply_from_fixture(invitation, "carol@example.org", "DECLINED"))
    refused = lines(cis(tmp_path, *env_args, "ingest", "--to", organizer, str(forged)))
    assert refused[0]["outcome"] == "rejected"
    assert "quarantined" in str(refused[0]["reason"])
    stranger = tmp_path / "stranger.ics"
    stranger.write_bytes(reply_from_fixture(invitation, "bob@example.org", "TENTATIVE"))
    unknown = lines(
        cis(tmp_path, *env_args, "ingest", "--to", "rsvp+zzzz@invites.localhost", str(stranger))
    )
    assert "quarantined" in str(unknown[0]["reason"])


def test_an_accepted_update_goes_to_everyone_with_a_higher_sequence(tmp_path: Path) -> None:
    env_args = ("--data-dir", str(tmp_path))
    created = organizers_file(tmp_path, "update/gcal-selfsent-seq0.ics")
    invite = str(created[0]["invite"])
    recipients = tmp_path / "list.csv"
    recipients.write_text(
        "email,name\nbob@example.org,Bob\ncarol@example.org,Carol\nnope,X\n"
        "bob@example.org,Bob again\n",
        encoding="utf-8",
    )
    bulk = lines(
        cis(tmp_path, *env_args, "send", invite, "--csv", str(recipients), "--yes", "--json")
    )
    assert sorted(str(r["outcome"]) for r in bulk) == ["duplicate", "invalid", "sent", "sent"]
    updated = organizers_file(tmp_path, "update/gcal-selfsent-seq1.ics")
    assert updated[0]["outcome"] == "updated"
    outbox = sent_mail(tmp_path)
    by_version = sorted((str(m["to"]), int(str(m["sequence"]))) for m in outbox)
    assert by_version == [
        ("bob@example.org", 0),
        ("bob@example.org", 1),
        ("carol@example.org", 0),
        ("carol@example.org", 1),
    ]
    assert all(m["status"] == "sent" for m in outbox)
    assert len({m["message_id"] for m in outbox}) == 4
    files = [Path(str(m["file"])) for m in outbox]
    assert all(f.exists() for f in files)
    summary = json.loads(cis(tmp_path, *env_args, "show", invite, "--json").stdout)
    assert summary["sequence"] == 1


def test_report_shows_answers_including_a_forwarded_copy(tmp_path: Path) -> None:
    env_args = ("--data-dir", str(tmp_path))
    created = organizers_file(tmp_path, "update/gcal-selfsent-seq0.ics")
    invite = str(created[0]["invite"])
    for address in ("bob@example.org", "carol@example.org"):
        cis(tmp_path, *env_args, "send", invite, "--to", address, "--origin", "vip")
    outbox = sent_mail(tmp_path)
    invitation = calendar_of(str(outbox[0]["file"]))
    bobs_address = str(invitation.events[0]["ORGANIZER"]).removeprefix("mailto:")
    answer = tmp_path / "answer.ics"
    answer.write_bytes(reply_from_fixture(invitation, "bob@example.org", "DECLINED"))
    forwarded = tmp_path / "forwarded.ics"
    forwarded.write_bytes(reply_from_fixture(invitation, "dave@example.net", "ACCEPTED"))
    # Each answer is mailed by whoever gives it; Dave's must come from Dave to count.
    for file, sender in ((answer, "bob@example.org"), (forwarded, "dave@example.net")):
        ingested = cis(
            tmp_path, *env_args, "ingest", "--to", bobs_address, "--from", sender, str(file)
        )
        assert lines(ingested)[0]["outcome"] == "rsvp"
    rows = {
        str(r["address"]): r for r in lines(cis(tmp_path, *env_args, "report", invite, "--json"))
    }
    assert rows["bob@example.org"]["status"] == "declined"
    assert rows["bob@example.org"]["client"] == "Google Calendar"
    assert rows["carol@example.org"]["status"] == "no answer"
    assert rows["dave@example.net"]["status"] == "accepted"
    assert rows["dave@example.net"]["forwarded_by"] == "bob@example.org"
    assert rows["dave@example.net"]["origin"] == "forwarded"
    csv_file = tmp_path / "report.csv"
    cis(tmp_path, *env_args, "report", invite, "--csv", str(csv_file))
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"dave@example.net" in csv_file.read_bytes()
    again = lines(cis(tmp_path, *env_args, "send", invite, "--to", "bob@example.org", "--json"))
    assert again[0]["outcome"] == "duplicate"
