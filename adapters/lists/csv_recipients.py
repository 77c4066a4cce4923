"""Recipient lists from CSV: ``email`` and optional ``name``, header row optional.

Accepts UTF-8 with or without BOM (falling back to windows-1252 for spreadsheets saved the
old way), quoted fields, comma or semicolon separators (as Excel writes in many locales).
"""

from __future__ import annotations

import csv
import io

from application.ports import RecipientListReader, RecipientRow
from domain.addresses import address_problem
from domain.identity import normalize_address

_EMAIL_HEADERS = {"email", "e-mail", "mail", "address", "email address"}
_NAME_HEADERS = {"name", "full name", "display name"}


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


class CsvRecipientReader(RecipientListReader):
    """Reads ``email[,name]`` rows; a first row naming the columns is taken as the header."""

    def read(self, data: bytes) -> list[RecipientRow]:
        """Return every non-empty row with its line number, usable or not."""
        text = _text(data)
        rows = list(enumerate(csv.reader(io.StringIO(text), _dialect(text)), start=1))
        email_at, name_at = 0, 1
        if rows and _is_header(rows[0][1]):
            header = [cell.strip().lower() for cell in rows[0][1]]
            email_at = next(i for i, cell in enumerate(header) if cell in _EMAIL_HEADERS)
            name_at = next((i for i, cell in enumerate(header) if cell in _NAME_HEADERS), -1)
            rows = rows[1:]
        return [
            _row(line, cells, email_at, name_at)
            for line, cells in rows
            if any(cell.strip() for cell in cells)
        ]


def _is_header(cells: list[str]) -> bool:
    return any(cell.strip().lower() in _EMAIL_HEADERS for cell in cells)


def _row(line: int, cells: list[str], email_at: int, name_at: int) -> RecipientRow:
    raw = cells[email_at].strip() if email_at < len(cells) else ""
    name = cells[name_at].strip() if 0 <= name_at < len(cells) else ""
    address = normalize_address(raw)
    problem = address_problem(address)
    return RecipientRow(
        line=line,
        address=address if problem is None else raw,
        name=" ".join(name.split()) or None,
        problem=None if problem is None else f"line {line}: {problem}",
    )
