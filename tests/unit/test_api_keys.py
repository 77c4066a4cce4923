"""API keys: issued once, stored hashed, revocable, and each reading only what its scope allows."""

from __future__ import annotations

import functools
import string
from dataclasses import asdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.admin.keys import (
    ApiKeys,
    InvalidSubjectError,
    Principal,
    Scope,
    UnknownApiKeyError,
)
from domain.api_keys import ApiKey, KeyRing, hash_secret, key_ring_id
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import Driver, driver
from tests.fakes import T0, at


def new_keys() -> tuple[ApiKeys, Driver]:
    service = driver(bootstrap(Settings(backend="memory")))
    return ApiKeys(service.load, service.save), service


@pytest.fixture
def keys() -> ApiKeys:
    return new_keys()[0]


def secret_of(token: str) -> str:
    return token.split("_", 2)[2]


# -- the aggregates ----------------------------------------------------------------------------


def test_an_issued_key_keeps_the_hash_of_its_secret_never_the_secret() -> None:
    key = ApiKey(
        key_id="abcdefgh",
        kind="organizer",
        subject="ann@example.com",
        label="ann's dashboard",
        secret_hash=hash_secret("s3cret"),
        timestamp=T0,
    )

    assert [type(e).__name__ for e in key.collect_events()] == ["Issued"]
    assert (key.kind, key.subject, key.created, key.revoked) == (
        Scope.ORGANIZER,
        "ann@example.com",
        T0,
        None,
    )
    assert "s3cret" not in repr(vars(key))
    assert key.accepts("s3cret")
    assert not key.accepts("s3cret ")


def test_a_revoked_key_accepts_nothing_and_a_second_revocation_changes_nothing() -> None:
    key = ApiKey(
        key_id="abcdefgh",
        kind="admin",
        subject=None,
        label=None,
        secret_hash=hash_secret("s3cret"),
        timestamp=T0,
    )

    key.revoke(reason="leaked", timestamp=at(5))
    key.revoke(reason="again", timestamp=at(9))

    assert [type(e).__name__ for e in key.collect_events()] == ["Issued", "Revoked"]
    assert (key.revoked, key.revocation_reason) == (at(5), "leaked")
    assert not key.accepts("s3cret")


def test_the_key_ring_lists_issued_keys_in_order() -> None:
    ring = KeyRing(timestamp=T0)

    ring.add(key_id="aaaaaaaa", timestamp=at(1))
    ring.add(key_id="bbbbbbbb", timestamp=at(2))

    assert ring.key_ids == ["aaaaaaaa", "bbbbbbbb"]
    assert ring.id == KeyRing(timestamp=at(3)).id


# -- create and authenticate -------------------------------------------------------------------


def test_a_created_token_authenticates_as_its_scope(keys: ApiKeys) -> None:
    key, token = keys.create(Scope.ORGANIZER, "MAILTO:Ann@Example.COM", "ann", now=T0)

    principal = keys.authenticate(token, now=at(1))

    assert principal == Principal(
        kind=Scope.ORGANIZER, subject="ann@example.com", key_id=key.key_id
    )


def test_the_token_is_the_prefix_the_key_id_and_a_urlsafe_secret(keys: ApiKeys) -> None:
    key, token = keys.create(Scope.ADMIN, None, None, now=T0)

    prefix, key_id, secret = token.split("_", 2)

    assert (prefix, key_id) == ("cis", key.key_id)
    assert len(key_id) == 8
    assert set(key_id) <= set(string.ascii_lowercase + "234567")
    assert len(secret) == 43
    assert key.secret_hash == hash_secret(secret)


def test_every_key_gets_its_own_id_and_secret(keys: ApiKeys) -> None:
    tokens = [keys.create(Scope.ADMIN, None, None, now=T0)[1] for _ in range(20)]

    assert len({t.split("_", 2)[1] for t in tokens}) == 20
    assert len({secret_of(t) for t in tokens}) == 20


def test_a_wrong_secret_is_refused(keys: ApiKeys) -> None:
    _, token = keys.create(Scope.DOMAIN, "example.com", None, now=T0)
    _, other = keys.create(Scope.DOMAIN, "example.com", None, now=T0)

    assert keys.authenticate(token[:13] + secret_of(other), now=at(1)) is None


def test_a_tampered_token_is_refused(keys: ApiKeys) -> None:
    _, token = keys.create(Scope.ADMIN, None, None, now=T0)
    last = "A" if token[-1] != "A" else "B"
    first_of_id = "a" if token[4] != "a" else "b"

    assert keys.authenticate(token[:-1] + last, now=at(1)) is None
    assert keys.authenticate(token[:4] + first_of_id + token[5:], now=at(1)) is None
    assert keys.authenticate(token.upper(), now=at(1)) is None
    assert keys.authenticate(token + "x", now=at(1)) is None


def test_a_revoked_key_is_refused(keys: ApiKeys) -> None:
    key, token = keys.create(Scope.ADMIN, None, None, now=T0)

    keys.revoke(key.key_id, "leaked", now=at(1))

    assert keys.authenticate(token, now=at(2)) is None


def test_revocation_counts_even_against_an_earlier_clock(keys: ApiKeys) -> None:
    key, token = keys.create(Scope.ADMIN, None, None, now=T0)

    keys.revoke(key.key_id, None, now=at(10))

    assert keys.authenticate(token, now=at(5)) is None


def test_an_unknown_key_id_is_refused(keys: ApiKeys) -> None:
    keys.create(Scope.ADMIN, None, None, now=T0)

    assert keys.authenticate("cis_aaaaaaaa_" + "A" * 43, now=at(1)) is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "cis_",
        "cis__",
        "Bearer cis_aaaaaaaa_" + "A" * 43,
        "cis_aaaaaaa_" + "A" * 43,
        "cis_aaaaaaaaa_" + "A" * 43,
        "cis_aaaaaaaa_" + "A" * 42,
        "cis_aaaaaaaa_" + "A" * 42 + "=",
        "cis_aaaaaaaa_" + "A" * 42 + "\n",
        "cis_aaaaaaa\ud800_" + "A" * 43,
        "cis_aaaaaaaa_" + "A" * 42 + "\ud800",
        "cis_aaaaaaaa_" + "é" * 43,
    ],
)
def test_a_malformed_token_is_refused(keys: ApiKeys, token: str) -> None:
    keys.create(Scope.ADMIN, None, None, now=T0)

    assert keys.authenticate(token, now=at(1)) is None


# -- subjects ----------------------------------------------------------------------------------


def test_a_domain_subject_is_lower_cased(keys: ApiKeys) -> None:
    key, _ = keys.create(Scope.DOMAIN, " Example.COM ", None, now=T0)

    assert key.subject == "example.com"


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        (Scope.ORGANIZER, None),
        (Scope.ORGANIZER, ""),
        (Scope.ORGANIZER, "ann"),
        (Scope.ORGANIZER, "ann@localhost"),
        (Scope.ORGANIZER, "ann@exa mple.com"),
        (Scope.ORGANIZER, "Ann <ann@example.com>, bob@example.com"),
        (Scope.DOMAIN, None),
        (Scope.DOMAIN, "  "),
        (Scope.DOMAIN, "example"),
        (Scope.DOMAIN, "-example.com"),
        (Scope.DOMAIN, "ann@example.com"),
        (Scope.DOMAIN, "@example.com"),
        (Scope.DOMAIN, "example..com"),
        (Scope.ADMIN, "example.com"),
    ],
)
def test_a_subject_that_does_not_fit_the_scope_is_refused(
    keys: ApiKeys, kind: Scope, subject: str | None
) -> None:
    with pytest.raises(InvalidSubjectError):
        keys.create(kind, subject, None, now=T0)

    assert keys.list() == []


# -- what a principal may read ---------------------------------------------------------------


def test_an_organizer_key_reads_only_its_own_organizer() -> None:
    ann = Principal(kind=Scope.ORGANIZER, subject="ann@example.com", key_id="aaaaaaaa")

    assert ann.may_read_organizer("ann@example.com")
    assert ann.may_read_organizer("mailto:ANN@Example.com")
    assert not ann.may_read_organizer("bob@example.com")
    assert not ann.may_read_organizer("ann@example.com.evil.net")
    assert not ann.may_read_domain("example.com")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("ann@example.com", True),
        ("BOB@EXAMPLE.COM", True),
        ("mailto:carol@example.com", True),
        ("ann@evil-example.com", False),
        ("ann@sub.example.com", False),
        ("ann@example.com.evil.net", False),
        ("example.com@evil.net", False),
        ("ann@example.co", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_a_domain_key_reads_exactly_its_domain(address: str, allowed: bool) -> None:
    owner = Principal(kind=Scope.DOMAIN, subject="example.com", key_id="aaaaaaaa")

    assert owner.may_read_organizer(address) is allowed


def test_a_domain_key_reads_its_own_domain_and_no_look_alike() -> None:
    owner = Principal(kind=Scope.DOMAIN, subject="example.com", key_id="aaaaaaaa")

    assert owner.may_read_domain("example.com")
    assert owner.may_read_domain("Example.COM")
    assert not owner.may_read_domain("evil-example.com")
    assert not owner.may_read_domain("sub.example.com")
    assert not owner.may_read_domain("com")


def test_an_admin_key_reads_everything() -> None:
    admin = Principal(kind=Scope.ADMIN, subject=None, key_id="aaaaaaaa")

    assert admin.may_read_organizer("anyone@anywhere.example")
    assert admin.may_read_domain("anywhere.example")


def test_a_scoped_principal_without_subject_reads_nothing() -> None:
    broken = Principal(kind=Scope.DOMAIN, subject=None, key_id="aaaaaaaa")

    assert not broken.may_read_organizer("no-at-sign")
    assert not broken.may_read_domain("")


# -- list and revoke ---------------------------------------------------------------------------


def test_list_shows_every_key_without_its_secret_or_hash(keys: ApiKeys) -> None:
    ann, ann_token = keys.create(Scope.ORGANIZER, "ann@example.com", "ann", now=T0)
    _, admin_token = keys.create(Scope.ADMIN, None, "ops", now=at(1))
    keys.revoke(ann.key_id, "left", now=at(2))

    views = keys.list()

    assert [(v.key_id, v.kind, v.status) for v in views] == [
        (ann.key_id, Scope.ORGANIZER, "revoked"),
        (admin_token.split("_")[1], Scope.ADMIN, "active"),
    ]
    assert views[0].revocation_reason == "left"
    shown = repr(views) + repr([v.as_dict() for v in views]) + repr([asdict(v) for v in views])
    for token in (ann_token, admin_token):
        assert secret_of(token) not in shown
        assert hash_secret(secret_of(token)) not in shown
    assert "hash" not in shown


def test_the_secret_is_never_stored() -> None:
    keys, service = new_keys()
    key, token = keys.create(Scope.ADMIN, None, None, now=T0)

    stored = [
        *service.recorder.select_events(key.id),
        *service.recorder.select_events(key_ring_id()),
    ]

    assert len(stored) == 3  # Issued, then the ring's Started and KeyAdded
    assert hash_secret(secret_of(token)).encode() in stored[0].state
    assert all(secret_of(token).encode() not in event.state for event in stored)


def test_revoke_takes_the_key_id_or_the_whole_token(keys: ApiKeys) -> None:
    _, first_token = keys.create(Scope.ADMIN, None, None, now=T0)
    second, _ = keys.create(Scope.ADMIN, None, None, now=T0)

    keys.revoke(first_token, None, now=at(1))
    keys.revoke(f" {second.key_id.upper()} ", None, now=at(1))

    assert [v.status for v in keys.list()] == ["revoked", "revoked"]


@pytest.mark.parametrize("key_id", ["aaaaaaaa", "", "nope", "cis_", "a" * 100])
def test_revoking_an_unknown_key_is_an_error(keys: ApiKeys, key_id: str) -> None:
    keys.create(Scope.ADMIN, None, None, now=T0)

    with pytest.raises(UnknownApiKeyError):
        keys.revoke(key_id, None, now=at(1))


# -- properties --------------------------------------------------------------------------------


@functools.cache
def issued() -> tuple[ApiKeys, str]:
    """One store with one issued key, shared by the examples (authenticate writes nothing)."""
    keys = new_keys()[0]
    _, token = keys.create(Scope.DOMAIN, "example.com", None, now=T0)
    return keys, token


_TOKEN_LIKE = st.builds(
    "cis_{}_{}".format,
    st.text(string.ascii_lowercase + "234567", min_size=8, max_size=8),
    st.text(string.ascii_letters + string.digits + "-_", min_size=43, max_size=43),
)


@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1")), _TOKEN_LIKE))
def test_no_string_makes_authenticate_raise_or_pass(token: str) -> None:
    keys, issued_token = issued()

    assert keys.authenticate(token, now=at(1)) is None or token == issued_token


@given(st.integers(min_value=0), st.characters())
def test_only_the_issued_token_itself_authenticates(position: int, character: str) -> None:
    keys, token = issued()
    assert keys.authenticate(token, now=at(1)) is not None
    index = position % len(token)
    changed = token[:index] + character + token[index + 1 :]

    principal = keys.authenticate(changed, now=at(1))

    assert (principal is not None) == (changed == token)
