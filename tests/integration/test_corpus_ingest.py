"""The whole corpus through the real composition root on the embedded SQLite default."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.results import IngestResult
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import as_sent, organizer_of
from tests.driver import Driver, driver

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def service(tmp_path: Path) -> Driver:
    return driver(bootstrap(Settings(data_dir=tmp_path / "data")))


def ingest(service: Driver, name: str, *, envelope_to: str | None = None) -> IngestResult:
    """Ingest a corpus file as its author sent it (a bare .ics from the sender its mail had)."""
    return as_sent(service, (CORPUS / name).read_bytes(), now=NOW, envelope_to=envelope_to)


def test_every_corpus_file_ends_as_exactly_one_outcome(service: Driver, corpus: list[Path]) -> None:
    results = {
        p.relative_to(CORPUS).as_posix(): as_sent(service, p.read_bytes(), now=NOW) for p in corpus
    }
    assert set(results) == {p.relative_to(CORPUS).as_posix() for p in corpus}
    for name, result in results.items():
        assert result.outcome in set(Outcome), name
        if result.outcome in {Outcome.REJECTED, Outcome.STALE, Outcome.DUPLICATE}:
            assert len(result.reason or "") > 20, name
        else:
            assert result.reason is None, name
            assert result.invite is not None, name
    outcomes = {r.outcome for r in results.values()}
    assert {Outcome.CREATED, Outcome.RSVP, Outcome.REJECTED, Outcome.CANCELLED} <= outcomes


def test_the_same_corpus_delivered_again_is_all_duplicates(
    service: Driver, corpus: list[Path]
) -> None:
    for path in corpus:
        as_sent(service, path.read_bytes(), now=NOW)
    again = [as_sent(service, path.read_bytes(), now=NOW) for path in corpus]
    assert {r.outcome for r in again} == {Outcome.DUPLICATE}
    assert all("received before" in (r.reason or "") for r in again)


def test_every_raw_message_is_kept_byte_for_byte(service: Driver, corpus: list[Path]) -> None:
    for path in corpus:
        result = as_sent(service, path.read_bytes(), now=NOW)
        assert service.blobs.get(result.message) == path.read_bytes()


def test_thunderbird_invite_minor_update_and_cancel(service: Driver) -> None:
    created = ingest(service, "request/tb-single-event.eml", envelope_to="create@example.org")
    updated = ingest(service, "update/tb-update-minor.eml", envelope_to="create@example.org")
    view = service.show("02e79b96")
    assert (created.outcome, updated.outcome) == (Outcome.CREATED, Outcome.UPDATED)
    assert (view.summary, view.sequence, view.update_count) == ("Updated Event", 0, 1)
    cancelled = ingest(service, "cancel/tb-cancel-single-event.eml")
    view = service.show("02e79b96")
    assert cancelled.outcome is Outcome.CANCELLED
    assert (view.status, view.sequence) == ("cancelled", 1)
    history = service.history("02e79b96")
    # Each organizer message also notes who vouched for its sender (SenderNoted).
    assert [e.type for e in history] == [
        "Created",
        "Scheduled",
        "SenderNoted",
        "Updated",
        "SenderNoted",
        "Cancelled",
        "SenderNoted",
    ]
    noted = [e.data for e in history if e.type == "SenderNoted"]
    assert [n["outcome"] for n in noted] == ["created", "updated", "cancelled"]
    assert [n["message"] for n in noted] == [created.message, updated.message, cancelled.message]
    updated_event = next(e for e in history if e.type == "Updated")
    assert updated_event.data["changed_fields"] == ["description", "location", "title"]
    assert updated_event.data["update_count"] == 1


def test_cancel_that_arrives_first_wins_over_the_older_invite(service: Driver) -> None:
    first = ingest(service, "cancel/tb-cancel-single-event.eml")
    late = ingest(service, "request/tb-single-event.eml")
    view = service.show("02e79b96")
    assert (first.outcome, late.outcome) == (Outcome.CANCELLED, Outcome.STALE)
    assert "SEQUENCE 1" in (late.reason or "")
    assert (view.status, view.summary, view.sequence) == ("cancelled", "Single Event", 1)


@pytest.mark.parametrize(
    ("request_file", "cancel_file", "uid"),
    [
        (
            "cancel/google-cancel-orig-request.ics",
            "cancel/google-cancel.ics",
            "c74p2nmutcd0kt69ku7rs8vu2g@google.com",
        ),
        (
            "request/bluemind-invite.eml",
            "cancel/bluemind-cancel.eml",
            "8ec4680fa0dda2d7202d704faa58ce25cac58670",
        ),
    ],
)
def test_real_cancellations_cancel_their_invite(
    service: Driver, request_file: str, cancel_file: str, uid: str
) -> None:
    assert ingest(service, request_file).outcome is Outcome.CREATED
    assert ingest(service, cancel_file).outcome is Outcome.CANCELLED
    assert service.show(uid).status == "cancelled"


def test_google_update_raises_sequence_and_counts(service: Driver) -> None:
    ingest(service, "update/gcal-selfsent-seq0.ics")
    result = ingest(service, "update/gcal-selfsent-seq1.ics")
    view = service.show("burgos@google.com")
    assert result.outcome is Outcome.UPDATED
    assert (view.sequence, view.update_count) == (1, 1)
    assert ingest(service, "update/gcal-selfsent-seq0.ics").outcome is Outcome.DUPLICATE


def test_outlook_for_mac_update_moves_the_meeting(service: Driver) -> None:
    ingest(service, "request/outlook-mac-invite-comma-tzid.eml")
    before = service.show("A93D8AAF-53FE-40D1-990B-C056E13727F2")
    result = ingest(service, "update/outlook-mac-update.eml")
    after = service.show("A93D8AAF-53FE-40D1-990B-C056E13727F2")
    assert result.outcome is Outcome.UPDATED
    assert after.sequence == 1
    assert after.start != before.start
    updates = [e for e in service.history(str(after.invite)) if e.type == "Updated"]
    assert "time" in updates[-1].data["changed_fields"]


def test_forwarded_invite_is_rejected_naming_sender_and_organizer(service: Driver) -> None:
    result = ingest(service, "other/google-invite-forwarded-by-thunderbird.eml")
    assert result.outcome is Outcome.REJECTED
    assert "ORGANIZER" in (result.reason or "")


def test_a_bare_ics_counts_only_with_the_envelope_sender_its_organizer_mails_from(
    tmp_path: Path,
) -> None:
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    anonymous = driver(bootstrap(Settings(data_dir=tmp_path / "a"))).ingest(raw, now=NOW)
    assert anonymous.outcome is Outcome.REJECTED
    assert "no sender (no From header and no envelope sender)" in (anonymous.reason or "")
    assert anonymous.invite is None
    service = driver(bootstrap(Settings(data_dir=tmp_path / "b")))
    sent = service.ingest(raw, now=NOW, envelope_from=organizer_of(raw))
    assert sent.outcome is Outcome.CREATED
    assert service.show("burgos@google.com").organizer == "inboxapptest@gmail.com"


def test_replies_are_recorded_per_attendee(service: Driver) -> None:
    accepted = ingest(service, "reply/google-reply-accepted.ics")
    tentative = ingest(service, "reply/google-reply-tentative.ics")
    assert (accepted.outcome, tentative.outcome) == (Outcome.RSVP, Outcome.RSVP)
    assert accepted.invite == tentative.invite


def test_a_reopened_store_shows_the_same_invites(tmp_path: Path, corpus: list[Path]) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = driver(bootstrap(settings))
    for path in corpus:
        as_sent(first, path.read_bytes(), now=NOW)
    before = [v.as_dict() for v in first.invites()]
    first.close()
    after = [v.as_dict() for v in driver(bootstrap(settings)).invites()]
    assert before == after
    assert len(after) > 30


def test_icloud_relays_invitations_for_its_organizers(service: Driver) -> None:
    result = ingest(service, "request/icloud-invite-fr.eml")
    assert result.outcome is Outcome.CREATED
    assert service.show(str(result.uid)).organizer == "dontspam@khamidou.com"


def test_a_relay_is_trusted_only_when_configured(tmp_path: Path) -> None:
    strict = driver(bootstrap(Settings(data_dir=tmp_path / "d", calendar_relays="")))
    result = ingest(strict, "request/icloud-invite-fr.eml")
    assert result.outcome is Outcome.REJECTED
    assert "noreply@insideicloud.icloud.com" in (result.reason or "")
