"""A bulk send streams: the list is read as it is sent, results come a page at a time as each
page is saved, and ``cis send`` prints them per page (JSON) or as counts and the rows not
sent (table), never a line per recipient sent. Memory is measured by ``bench.bulk``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest

from application.send_types import Recipient, SendOutcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import Driver, driver
from tests.e2e.test_cli import cis, lines
from tests.faults.data_folders import used_folder
from tests.faults.test_disk_full import NOW, copies
from tests.integration.test_organizer_notices import notices

# Pages of the sender: recipients decided, handed over and saved together.
PAGE = 30
GUESTS = [f"guest{n}@example{n % 7}.org" for n in range(100)]
# Three unusable rows among the guests, and one repeating an earlier row.
LIST = (
    "email,name\n"
    + "".join(f"{address},Guest {n}\n" for n, address in enumerate(GUESTS[:40]))
    + "not an address,Nobody\n"
    + f"{GUESTS[3]},Again\n"
    + "".join(f"{address},Guest {n}\n" for n, address in enumerate(GUESTS[40:], start=40))
    + "@example.org,Nobody\n"
    + "x@,Nobody\n"
)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Driver]:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    yield service
    service.close()


@pytest.fixture
def invite(service: Driver) -> str:
    created = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    return str(created.invite)


def test_a_streamed_list_reports_its_unusable_and_repeated_rows_first_then_sends_the_rest(
    service: Driver, invite: str, tmp_path: Path
) -> None:
    outbound = service.doors.outbound
    preview = outbound.preview_list(invite, LIST.encode())
    pages = list(outbound.send_list_pages(invite, preview.upload_id, now=NOW))
    results = [result for page in pages for result in page]
    unsent = [(r.outcome, r.reason) for r in results[:4]]
    assert unsent == [
        (SendOutcome.INVALID, preview.invalid[0].problem),
        (SendOutcome.DUPLICATE, f"line 43 repeats {GUESTS[3]} from line 5: sent once, as line 5"),
        (SendOutcome.INVALID, preview.invalid[1].problem),
        (SendOutcome.INVALID, preview.invalid[2].problem),
    ]
    assert [row.line for row in preview.invalid] == [42, 104, 105]
    assert all(r.outcome is SendOutcome.SENT for r in results[4:])
    assert sorted(r.address for r in results[4:]) == sorted(GUESTS)
    held = Counter(parseaddr(to)[1] for to, _ in copies(tmp_path / "outbox").elements())
    assert held == dict.fromkeys(GUESTS, 1)


def test_results_come_a_page_at_a_time_each_page_sent_before_the_next_is_read(
    service: Driver, invite: str, tmp_path: Path
) -> None:
    read: list[str] = []

    def guests() -> Iterator[Recipient]:
        for address in GUESTS:
            read.append(address)
            yield Recipient(address, origin="bulk")

    pages = service.doors.outbound.send_pages(invite, guests(), now=NOW)
    first = next(pages)
    # One page is out and saved; the rest of the list is not sent yet.
    assert len(first) == PAGE
    assert {r.outcome for r in first} == {SendOutcome.SENT}
    assert sum(copies(tmp_path / "outbox").values()) == PAGE
    rest = list(pages)
    assert all(len(page) <= PAGE for page in rest)
    assert len(read) == len(GUESTS)
    outcomes = Counter(r.outcome for page in [first, *rest] for r in page)
    assert outcomes == {SendOutcome.SENT: len(GUESTS)}


def test_a_list_sent_twice_in_one_stream_is_sent_once_across_pages(
    service: Driver, invite: str, tmp_path: Path
) -> None:
    # The second pass over the list meets records the first pass saved, pages later.
    twice = (Recipient(a, origin="bulk") for a in GUESTS + GUESTS)
    pages = service.doors.outbound.send_pages(invite, twice, now=NOW)
    outcomes = Counter(r.outcome for page in pages for r in page)
    assert outcomes == {SendOutcome.SENT: len(GUESTS), SendOutcome.DUPLICATE: len(GUESTS)}
    assert copies(tmp_path / "outbox") == {(address, 0): 1 for address in GUESTS}


def test_cis_send_json_prints_the_rows_not_sent_then_every_page(tmp_path: Path) -> None:
    invite = used_folder(tmp_path)
    guests = tmp_path / "guests.csv"
    guests.write_text(LIST)
    sent = cis(tmp_path, "send", invite, "--csv", str(guests), "--yes", "--json")
    assert sent.returncode == 0, sent.stderr
    rows = lines(sent)
    assert [row["outcome"] for row in rows[:4]] == ["invalid", "duplicate", "invalid", "invalid"]
    assert Counter(str(row["address"]) for row in rows[4:]) == dict.fromkeys(GUESTS, 1)
    assert {row["outcome"] for row in rows[4:]} == {"sent"}


def test_cis_send_of_a_large_list_shows_counts_and_the_rows_not_sent_not_each_sent_one(
    tmp_path: Path,
) -> None:
    invite = used_folder(tmp_path)
    guests = tmp_path / "guests.csv"
    guests.write_text(LIST)
    sent = cis(tmp_path, "send", invite, "--csv", str(guests), "--yes")
    assert sent.returncode == 0, sent.stderr
    assert "not an address" in sent.stdout
    assert f"line 43 repeats {GUESTS[3]}" in sent.stdout
    assert not any(address in sent.stdout for address in GUESTS[:3] + GUESTS[4:])
    assert "duplicate: 1, invalid: 3, sent: 100" in sent.stderr


def test_cis_send_of_a_few_shows_every_row(tmp_path: Path) -> None:
    invite = used_folder(tmp_path)
    guests = tmp_path / "guests.csv"
    guests.write_text("".join(f"{address}\n" for address in GUESTS[:3]))
    sent = cis(tmp_path, "send", invite, "--csv", str(guests), "--yes")
    assert sent.returncode == 0, sent.stderr
    assert all(address in sent.stdout for address in GUESTS[:3])
    assert "sent: 3" in sent.stderr


def test_the_organizer_is_told_the_counts_of_a_streamed_list_once_it_is_sent(
    service: Driver, invite: str, tmp_path: Path
) -> None:
    outbound = service.doors.outbound
    preview = outbound.preview_list(invite, LIST.encode())
    pages = outbound.send_list_pages(invite, preview.upload_id, now=NOW)
    next(pages)
    assert not summaries(tmp_path)  # told once the last page is out, not before
    for _ in pages:
        pass
    (summary,) = summaries(tmp_path)
    text = summary.get_content()
    assert "100" in text
    assert "line 42" in text


def summaries(data: Path) -> list[EmailMessage]:
    return [m for m in notices(data) if "what was sent" in str(m["Subject"])]
