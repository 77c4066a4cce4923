"""Which mailbox an address reaches: case folded, and tags (and gmail's dots) removed where the
provider ignores them; every other address only lower-cased."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.addresses import address_problem, mailbox_key

TAGGING = [
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "fastmail.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
]
OTHERS = ["example.com", "example.org", "gmail.co", "mail.gmail.com", "yahoo.example.com"]

# Local parts with no tag separator and no dot: plain at every provider.
plain_locals = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=20)
any_locals = st.text(string.ascii_letters + string.digits + "._+-", min_size=1, max_size=30)
domains = st.sampled_from(TAGGING + OTHERS)


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("Ann+news@Gmail.com", "ann@gmail.com"),
        ("a.n.n+x@gmail.com", "ann@gmail.com"),
        ("A.Nn@googlemail.com", "ann@googlemail.com"),
        ("bob+shop@outlook.com", "bob@outlook.com"),
        ("bob+1+2@hotmail.com", "bob@hotmail.com"),
        ("b.ob+x@live.com", "b.ob@live.com"),  # only gmail ignores dots
        ("cy+x@icloud.com", "cy@icloud.com"),
        ("cy+x@me.com", "cy@me.com"),
        ("cy+x@mac.com", "cy@mac.com"),
        ("dee-shop@yahoo.com", "dee@yahoo.com"),
        ("dee-shop@yahoo.co.uk", "dee@yahoo.co.uk"),
        ("dee+shop@yahoo.com", "dee+shop@yahoo.com"),  # yahoo's tags start with "-"
        ("eve+x@fastmail.com", "eve@fastmail.com"),
        ("eve+x@proton.me", "eve@proton.me"),
        ("eve+x@pm.me", "eve@pm.me"),
        ("Fay+x@Example.com", "fay+x@example.com"),  # unknown providers: the tag is a name
        ("fay-x@example.com", "fay-x@example.com"),
        ("+news@gmail.com", "+news@gmail.com"),  # no name before the tag: nothing to remove
    ],
)
def test_the_mailbox_of_an_address(address: str, mailbox: str) -> None:
    assert mailbox_key(address) == mailbox


@given(st.text())
def test_the_mailbox_of_a_mailbox_is_itself(text: str) -> None:
    assert mailbox_key(mailbox_key(text)) == mailbox_key(text)


@given(any_locals, domains)
def test_the_mailbox_of_any_address_is_its_own_mailbox(local: str, domain: str) -> None:
    key = mailbox_key(f"{local}@{domain}")
    assert mailbox_key(key) == key
    assert key.endswith("@" + domain)


@given(plain_locals, domains)
def test_a_plain_address_is_its_own_mailbox_but_for_case(local: str, domain: str) -> None:
    address = f"{local}@{domain.upper()}"
    assert mailbox_key(address) == address.lower()


@given(any_locals, st.sampled_from(OTHERS))
def test_at_other_providers_only_case_is_ignored(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert mailbox_key(address.upper()) == address.lower()


@given(plain_locals, st.text(string.ascii_lowercase + string.digits, max_size=10), domains)
def test_a_tag_reaches_the_same_mailbox_where_the_provider_ignores_it(
    name: str, tag: str, domain: str
) -> None:
    separator = "-" if domain.startswith("yahoo") else "+"
    tagged = f"{name}{separator}{tag}@{domain}"
    if domain in TAGGING:
        assert mailbox_key(tagged) == f"{name}@{domain}".lower()
    else:
        assert mailbox_key(tagged) == tagged.lower()
    assert address_problem(tagged) is None  # every address here is one a landing would send to
