"""Recipient lists from CSV: ``email`` and optional ``name``, header row optional.

Accepts UTF-8 with or without BOM (falling back to windows-1252 for spreadsheets saved the
old way), quoted fields, comma or semicolon separators (as Excel writes in many locales).
A list that is not CSV, or is over the size or row limit, raises ``UnreadableListError``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from application.ports import (
    ListTooLargeError,
    RecipientListReader,
    RecipientRow,
    UnreadableListError,
)
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

    def __init__(self, max_bytes: int = 5 * 1024 * 1024, max_rows: int = 50_000) -> None:
        self.max_bytes, self.max_rows = max_bytes, max_rows

    def read(self, data: bytes) -> list[RecipientRow]:
        """Return every non-empty row with its line number, usable or not."""
        return list(self.rows(data))

    def rows(self, data: bytes) -> Iterator[RecipientRow]:
        """Yield every non-empty row with its line number, usable or not, as it is read.

        Only the decoded text is held, never the rows: the size limit is checked before the
        first row; the row limit, or a row that is not CSV, raises when it is reached.
        """
        if len(data) > self.max_bytes:
            raise ListTooLargeError(
                f"the list has {len(data)} bytes; at most {self.max_bytes} are taken: "
                "split it into smaller lists"
            )
        text = _text(data)
        reader = csv.reader(io.StringIO(text), _dialect(text))
        email_at, name_at = 0, 1
        # Rows after the header, counted as the limit counts them (blank ones included).
        counted = 0
        try:
            for line, cells in enumerate(reader, start=1):
                if line == 1 and _is_header(cells):
                    header = [cell.strip().lower() for cell in cells]
                    email_at = next(i for i, cell in enumerate(header) if cell in _EMAIL_HEADERS)
                    name_at = next(
                        (i for i, cell in enumerate(header) if cell in _NAME_HEADERS), -1
                    )
                    continue
                counted += 1
                if counted > self.max_rows:
                    raise self._too_many()
                if any(cell.strip() for cell in cells):
                    yield _row(line, cells, email_at, name_at)
        except csv.Error as error:
            # The csv module's own words (e.g. a field over its 128 KiB limit).
            raise UnreadableListError(
                f"the list is not readable CSV (line {reader.line_num}: {error}): save it as "
                "CSV with one address per line, email first"
            ) from None

    def _too_many(self) -> ListTooLargeError:
        return ListTooLargeError(
            f"the list has more than {self.max_rows} rows: split it into smaller lists"
        )


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
