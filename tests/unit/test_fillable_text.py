"""A body part encoded once with holes says, filled, exactly what the email package writes."""

from __future__ import annotations

from email import quoprimime
from html import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.outbound.fillable import FillableText, encoded_line, text_part

HOLES = ("cis0123abcdaccepted", "cis0123abcddeclined")
# Any text, holes anywhere in it (several per line too), including line breaks of every kind.
pieces = st.lists(st.one_of(st.text(max_size=120), st.sampled_from(HOLES)), max_size=12)
# One line, never empty: URLs, and whatever else a caller might fill in.
values = st.text(min_size=1, max_size=200).filter(lambda v: "\n" not in v and "\r" not in v)


@settings(max_examples=300, deadline=None)
@given(pieces=pieces, first=values, second=values, subtype=st.sampled_from(["plain", "html"]))
def test_a_filled_part_is_the_bytes_of_the_finished_text(
    pieces: list[str], first: str, second: str, subtype: str
) -> None:
    text = "".join(pieces)
    protect = escape if subtype == "html" else str
    part = FillableText(text, subtype, HOLES, escape=protect)

    filled = part.fill({HOLES[0]: first, HOLES[1]: second})

    finished = text.replace(HOLES[0], protect(first)).replace(HOLES[1], protect(second))
    assert filled == text_part(finished, subtype)


def test_a_part_without_holes_is_shared_by_every_copy() -> None:
    part = FillableText("Hello\nthere\n", "plain", HOLES)
    assert not part.personal
    assert part.fill({HOLES[0]: "x"}) == text_part("Hello\nthere\n", "plain")


@pytest.mark.parametrize("value", ["", "two\nlines", "cr\rtoo"])
def test_refuses_a_value_that_is_not_one_line(value: str) -> None:
    part = FillableText(f"Accept: {HOLES[0]}\n", "plain", HOLES)
    with pytest.raises(ValueError, match="one non-empty line"):
        part.fill({HOLES[0]: value})


@settings(max_examples=500, deadline=None)
@given(line=st.text(alphabet=st.sampled_from("=  a9?&.-\t\u00e9"), max_size=400))
def test_one_line_encodes_as_the_email_package_encodes_it(line: str) -> None:
    # The email package encodes UTF-8 bytes, read one character per byte.
    latin = (line + "\n").encode("utf-8").decode("latin-1")
    expected = quoprimime.body_encode(latin, 78, eol="\r\n").encode("ascii")
    assert encoded_line(line) == expected
