"""Messages arriving together (``Inbound.ingest_many``, what ``cis ingest`` of many files runs)
end exactly as they would one at a time, each parsed once though the next is read ahead.

Through the real composition root: parse workers, the folder blob store with fsync, SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from dependency_injector import providers

from application.inbound.front_door import Incoming
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.driver import driver
from tests.invite_mail import ALICE, calendar, email_of
from tests.parse_fakes import CountingParser

NOW = datetime(2025, 1, 2, 9, tzinfo=UTC)


def messages() -> list[Incoming]:
    """Invitations, an update of one of them, one message twice and a corpus file."""
    first = email_of(calendar(uid="together-0@example.com"), ALICE)
    update = email_of(calendar(uid="together-0@example.com", sequence=1), ALICE)
    invites = [email_of(calendar(uid=f"together-{n}@example.com"), ALICE) for n in range(1, 5)]
    corpus = (CORPUS / "request/tb-single-event.eml").read_bytes()
    raws = [first, *invites, update, invites[0], corpus]
    return [Incoming(raw, f"m{n}", channel="cli") for n, raw in enumerate(raws)]


def outcomes(tmp_path: Path, *, together: bool) -> tuple[list[tuple[str, str]], list[str]]:
    """Ingest ``messages()`` into a fresh data folder; return (source, outcome) pairs and
    the lines the counting parser wrote (one per message it read)."""
    tally = tmp_path / "parsed"
    built = bootstrap(Settings(data_dir=tmp_path / "data", sender_policy="off"))
    built.parser_factory.override(providers.Object(partial(CountingParser, tally)))
    inbound, arriving = built.inbound(), messages()
    try:
        if together:
            done = inbound.ingest_many(arriving, clock=lambda: NOW, group=3)
            results = [(m.source, r.outcome.value) for m, r in done]
        else:
            results = [
                (m.source, inbound.ingest(m.raw, now=NOW, channel="cli").outcome.value)
                for m in arriving
            ]
        kept = driver(built).blobs
        for message in arriving:  # each kept with the envelope it came with
            key = kept.put(message.raw)
            assert kept.envelope(key) is not None
            assert kept.envelope(key).channel == "cli"  # type: ignore[union-attr]
    finally:
        built.parser().close()
        built.store().close()
    return results, tally.read_text().splitlines() if tally.exists() else []


def test_together_ends_as_one_at_a_time_and_reads_each_message_once(tmp_path: Path) -> None:
    alone, read_alone = outcomes(tmp_path / "alone", together=False)
    together, read_together = outcomes(tmp_path / "together", together=True)

    assert together == alone
    assert [outcome for _, outcome in together] == [
        "created",
        "created",
        "created",
        "created",
        "created",
        "updated",
        "duplicate",
        "created",
    ]
    # The same bytes twice are read once, read ahead or not.
    assert len(read_together) == len(read_alone) == 7
