"""Every message a stranger sends is read under a cost bound (issue 13, H).

Time-zone bombs are read through a bounded table of changes, huge headers are cut (or the
message refused) before anything is decoded, one message to many mailboxes is parsed once,
and a message that overruns the parse budget is rejected with a reason and kept while the
server goes on answering others. Timeouts here are hang guards, never expectations: each
test ran for minutes (or forever) before the change it covers.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest
from dependency_injector import providers

from adapters.inbound.parser import EmailCalendarParser
from adapters.mail.dropbox import DropBox
from domain.messages import ItipMessage, Unusable
from domain.outcomes import Outcome
from entrypoints.container import Container, bootstrap
from entrypoints.server import dropbox_for
from entrypoints.settings import Settings
from tests import hostile_mail
from tests.driver import driver
from tests.parse_fakes import STALL, CountingParser, StallingParser

NOW = datetime(2025, 1, 2, 9, tzinfo=UTC)
DOMAIN = "invites.example.com"
GUARD = 60.0  # seconds: a hang guard, never an expectation
T = TypeVar("T")


def within(seconds: float, call: Callable[[], T]) -> T:
    """Return ``call()``, failing if it has not returned after ``seconds`` (a hang guard)."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:
            failure.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds:g} s"
    if failure:
        raise failure[0]
    return outcome[0]


def container(tmp_path: Path, **budget: float) -> Container:
    settings = Settings(data_dir=tmp_path, mail_domain=DOMAIN, sender_policy="off")
    return bootstrap(settings.model_copy(update=budget))


@pytest.fixture
def serve() -> Iterator[Callable[[Container], DropBox]]:
    """Start the real drop box of a container on a free port; stopped when the test ends."""
    started: list[tuple[DropBox, Container]] = []

    def start(built: Container) -> DropBox:
        box = dropbox_for(built)
        box.start()
        started.append((box, built))
        return box

    yield start
    for box, built in started:
        built.parser().close()  # stop the workers first: stopping never waits for them
        box.stop()


def send(box: DropBox, raw: bytes, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(box.host, box.port, timeout=GUARD * 2) as smtp:
        return smtp.sendmail(hostile_mail.ORGANIZER, recipients, raw)


@pytest.mark.parametrize("bomb", [hostile_mail.every_second, hostile_mail.every_minute])
def test_a_zone_changing_every_second_or_minute_is_not_read_as_a_zone(
    bomb: Callable[[], bytes],
) -> None:
    # The 685-byte bomb: the server went to 4.4 GB in 200 s. Such rules are refused
    # before anything walks them; the time stays as the sender wrote it, floating.
    parsed = within(GUARD, lambda: EmailCalendarParser().parse(bomb()))
    assert isinstance(parsed, ItipMessage)
    (component,) = parsed.components
    assert component.details.zone_definition is None
    assert component.details.start == "2025-01-06T09:00:00"


def test_thousands_of_exdates_in_a_many_rule_zone_are_recorded(tmp_path: Path) -> None:
    # 64 yearly rules from year 1, and 2,000 times read in that zone: dateutil walked every
    # rule from year 1 for each (minutes); the zone's table is computed per decade, once.
    service = driver(container(tmp_path, parse_budget=GUARD))
    raw = hostile_mail.exdate_heavy(2000)
    result = within(GUARD, lambda: service.ingest(raw, now=NOW))
    assert result.outcome is Outcome.CREATED
    parsed = EmailCalendarParser().parse(raw)
    assert isinstance(parsed, ItipMessage)
    (component,) = parsed.components
    assert len(component.details.exdates) == 2000
    assert component.details.zone_definition is not None


def test_a_many_megabyte_encoded_subject_is_refused_before_it_is_decoded(
    tmp_path: Path,
) -> None:
    # 24 MB of encoded words on one Subject line: decoding them took minutes.
    service = driver(container(tmp_path))
    raw = hostile_mail.encoded_subject(24)
    result = within(GUARD, lambda: service.ingest(raw, now=NOW))
    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert "header section is larger than" in result.reason
    assert service.blobs.get(result.message) == raw  # kept all the same


def test_a_long_encoded_subject_within_the_headers_bound_is_cut_to_a_line() -> None:
    parsed = within(GUARD, lambda: EmailCalendarParser().parse(hostile_mail.encoded_subject(0.2)))
    assert isinstance(parsed, ItipMessage)
    plain = hostile_mail.encoded_subject(0.2).replace(b"text/calendar", b"text/plain")
    unusable = EmailCalendarParser().parse(plain)
    assert isinstance(unusable, Unusable)
    assert unusable.subject is not None
    assert 0 < len(unusable.subject) <= 300


def test_one_message_to_ten_mailboxes_is_parsed_once(
    tmp_path: Path, serve: Callable[[Container], DropBox]
) -> None:
    tally = tmp_path / "parsed"
    built = container(tmp_path / "data")
    built.parser_factory.override(providers.Object(partial(CountingParser, tally)))
    box = serve(built)
    recipients = [f"create+team{n}@{DOMAIN}" for n in range(10)]
    refused = within(GUARD, lambda: send(box, hostile_mail.exdate_heavy(500), recipients))
    assert refused == {}
    assert tally.read_text().splitlines() == ["parse"]


def test_a_message_past_the_budget_is_rejected_and_kept_while_others_are_served(
    tmp_path: Path, serve: Callable[[Container], DropBox]
) -> None:
    started = tmp_path / "started"
    built = container(tmp_path / "data", parse_budget=20.0)
    built.parser_factory.override(providers.Object(partial(StallingParser, started)))
    box = serve(built)
    stalling = hostile_mail.invite(uid="stall@example.com").replace(
        b"MIME-Version", STALL + b"\r\nMIME-Version"
    )
    replies: list[dict[str, tuple[int, bytes]]] = []
    sender = threading.Thread(
        target=lambda: replies.append(send(box, stalling, [f"create@{DOMAIN}"])), daemon=True
    )
    sender.start()
    within(GUARD, lambda: _wait_for(started))

    # Meanwhile another client's invite is answered and recorded.
    ordinary = hostile_mail.ordinary()
    assert within(GUARD, lambda: send(box, ordinary, [f"create@{DOMAIN}"])) == {}
    assert sender.is_alive(), "the stalled message was answered before the other one"
    service = driver(built)
    kept = service.blobs.put(ordinary)
    receipt = service.receipt(kept)
    assert receipt is not None
    assert receipt.outcome == Outcome.CREATED.value

    sender.join(GUARD)
    assert not sender.is_alive()
    assert replies == [{}]  # the sender is told 250: the message was received and recorded
    digest = service.blobs.put(stalling)  # the same bytes: the key of the kept copy
    receipt = service.receipt(digest)
    assert receipt is not None
    assert receipt.outcome == Outcome.REJECTED.value
    assert receipt.reason is not None
    assert "took longer than 20 s" in receipt.reason
    assert service.blobs.get(digest) == stalling


def _wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.05)
