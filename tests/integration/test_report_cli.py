"""``cis report`` on the embedded store: the rows the views hold now, streamed as CSV or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from application.send_types import Recipient
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
GUESTS = ["zoe@example.org", "ann@example.org", "max@example.org"]


def test_the_report_lists_what_was_just_sent_by_address_as_csv_and_json(tmp_path: Path) -> None:
    from entrypoints.cli import app

    settings = Settings(data_dir=tmp_path, mail_domain="invites.example")
    service = driver(bootstrap(settings))
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    invite = str(from_organizer(service, raw, now=NOW).invite)
    service.send(invite, [Recipient(g, origin="bulk") for g in GUESTS], now=NOW)
    runner = CliRunner()
    env = {"CIS_DATA_DIR": str(tmp_path), "CIS_MAIL_DOMAIN": "invites.example"}

    # Nothing projected the views since the send: the command catches them up itself.
    as_json = runner.invoke(app, ["report", invite, "--json"], env=env)
    as_csv = runner.invoke(app, ["report", invite, "--csv", "-"], env=env)

    assert as_json.exit_code == 0, as_json.output
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(r["address"], r["status"], r["origin"]) for r in rows] == [
        (address, "no answer", "bulk") for address in sorted(GUESTS)
    ]
    assert as_csv.exit_code == 0, as_csv.output
    whole = service.doors.reading.report_file(service.report(invite))
    assert as_csv.stdout_bytes == whole
    assert whole.decode("utf-8-sig").splitlines()[1].startswith("ann@example.org,")
