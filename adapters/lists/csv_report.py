"""The RSVP report as a CSV file that spreadsheets open safely.

UTF-8 with a BOM, so Excel reads accents right; every cell that a spreadsheet would take for
a formula is neutralized (OWASP, CSV injection), since names, addresses and PRODIDs come from
strangers' email.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import fields

from application.ports import ReportFormat
from application.reading.report import ReportRow

# Leading characters that make Excel, LibreOffice or Google Sheets evaluate a cell.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = tuple(f.name for f in fields(ReportRow))


def neutralize(cell: str) -> str:
    """Return the cell with a leading apostrophe if a spreadsheet would run it as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def report_csv(rows: Iterable[ReportRow]) -> bytes:
    """Return the report as UTF-8 CSV bytes with a BOM and a header row."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in rows:
        values = row.as_dict()
        # Every cell, not only the user-supplied ones: nothing is left to remember later.
        writer.writerow(neutralize("" if values[c] is None else str(values[c])) for c in COLUMNS)
    return out.getvalue().encode("utf-8-sig")


class CsvReport(ReportFormat):
    """The RSVP report as CSV (the :func:`report_csv` format)."""

    media_type = "text/csv"

    def write(self, rows: Iterable[ReportRow]) -> bytes:
        """Return the report as UTF-8 CSV bytes with a BOM and a header row."""
        return report_csv(rows)
