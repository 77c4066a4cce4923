"""The CSV list reader yields rows as it reads them: the rows before a problem come out first,
and the problem (too many rows, a row that is not CSV) is raised where it is met."""

from __future__ import annotations

import pytest

from adapters.lists.csv_recipients import CsvRecipientReader
from application.ports import ListTooLargeError, UnreadableListError


def test_rows_come_one_at_a_time_with_their_line_and_problem() -> None:
    rows = CsvRecipientReader().rows(b"email,name\nann@example.org,Ann\n\nnot-an-address,X\n")
    first = next(rows)
    assert (first.line, first.address, first.name, first.problem) == (
        2,
        "ann@example.org",
        "Ann",
        None,
    )
    bad = next(rows)
    assert bad.line == 4
    assert bad.problem is not None
    assert bad.problem.startswith("line 4: ")
    assert list(rows) == []


def test_a_list_past_the_row_limit_fails_at_the_first_row_over_it() -> None:
    data = b"email\n" + b"".join(b"guest%d@example.org\n" % n for n in range(5))
    rows = CsvRecipientReader(max_rows=3).rows(data)
    assert [row.address for row in (next(rows), next(rows), next(rows))] == [
        "guest0@example.org",
        "guest1@example.org",
        "guest2@example.org",
    ]
    with pytest.raises(ListTooLargeError, match="more than 3 rows"):
        next(rows)
    with pytest.raises(ListTooLargeError):
        CsvRecipientReader(max_rows=3).read(data)


def test_a_row_that_is_not_csv_fails_where_it_is_met() -> None:
    data = b"ann@example.org\n" + b'"' + b"x" * (200 * 1024) + b'"\n'
    rows = CsvRecipientReader().rows(data)
    assert next(rows).address == "ann@example.org"
    with pytest.raises(UnreadableListError, match="line"):
        next(rows)
