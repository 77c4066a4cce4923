"""Recipient lists as people really export them."""

from __future__ import annotations

import codecs

from adapters.lists.csv_recipients import CsvRecipientReader

read = CsvRecipientReader().read


def test_plain_list_without_header() -> None:
    rows = read(b"bob@example.com,Bob\ncarol@example.com\n")
    assert [(r.line, r.address, r.name, r.problem) for r in rows] == [
        (1, "bob@example.com", "Bob", None),
        (2, "carol@example.com", None, None),
    ]


def test_header_row_in_any_order_with_bom_and_quotes() -> None:
    data = (
        codecs.BOM_UTF8
        + 'Name,Email\n"Smith, Anna",ANNA@Example.com\n"Zoë ""Z"" Ng",zoe@example.com\n'.encode()
    )
    rows = read(data)
    assert [(r.line, r.address, r.name) for r in rows] == [
        (2, "anna@example.com", "Smith, Anna"),
        (3, "zoe@example.com", 'Zoë "Z" Ng'),
    ]


def test_semicolon_separated_windows_1252_export() -> None:
    rows = read("email;name\r\nrene@example.com;René\r\n".encode("cp1252"))
    assert [(r.address, r.name) for r in rows] == [("rene@example.com", "René")]


def test_invalid_rows_are_reported_with_their_line_and_kept() -> None:
    rows = read(
        b"email,name\nbob@example.com,Bob\nnot-an-address,X\n\n<eve@example.com>\r\nBcc: x,Y\n"
    )
    problems = [r.problem for r in rows if r.problem]
    assert [r.address for r in rows if not r.problem] == ["bob@example.com", "eve@example.com"]
    assert len(problems) == 2
    assert problems[0].startswith("line 3:")
    assert all("line" in p for p in problems)


def test_newlines_inside_names_never_survive() -> None:
    rows = read(b'email,name\nbob@example.com,"Bob\r\nBcc: eve@example.com"\n')
    assert rows[0].name == "Bob Bcc: eve@example.com"
    assert "\n" not in (rows[0].name or "")
