"""The DKIM adapter's pure parts: names, the record's strings, whose From a key may sign."""

from __future__ import annotations

from pathlib import Path

import pytest
from Crypto.PublicKey import RSA

from adapters.mail.dkim import (
    DkimKeyError,
    DkimRecord,
    DkimSigner,
    checked_name,
    single_from_domain,
)
from entrypoints.settings import Settings


def test_a_long_value_is_cut_into_strings_dns_can_hold() -> None:
    value = "v=DKIM1; k=rsa; p=" + "A" * 700
    record = DkimRecord("s1", "example.org", value, Path("k"), 4096)
    strings = record.strings()
    assert [len(s) for s in strings] == [255, 255, 208]
    assert "".join(strings) == value
    assert record.zone_line().startswith('s1._domainkey.example.org. IN TXT ( "v=DKIM1; k=rsa; ')


@pytest.mark.parametrize("name", ["../x", "a b", "", "-a.org", "a..org", "é.org", "a/b"])
def test_names_that_are_not_dns_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a DNS name"):
        checked_name("selector", name)


def test_names_are_lower_cased_without_a_trailing_dot() -> None:
    assert checked_name("domain", " Mail.Example.ORG. ") == "mail.example.org"


@pytest.mark.parametrize(
    ("values", "domain"),
    [
        (['"Invitations, Example" <invites@Example.ORG>'], "example.org"),
        (["invites@news.example.org"], "news.example.org"),
        (["a@example.org, b@example.org"], None),  # two authors: no one domain
        (["a@example.org", "b@example.org"], None),  # two From headers
        (["undisclosed-recipients:;"], None),
        ([], None),
    ],
)
def test_the_from_domain_is_that_of_the_one_author(values: list[str], domain: str | None) -> None:
    assert single_from_domain(values) == domain


def test_the_signing_domain_defaults_to_the_senders() -> None:
    settings = Settings(backend="memory", sender="invites@news.example.org")
    assert settings.dkim_signing_domain == "news.example.org"
    chosen = Settings(backend="memory", sender="invites@news.example.org", dkim_domain="e.org")
    assert chosen.dkim_signing_domain == "e.org"
    assert Settings(data_dir=Path("/d")).dkim_key_file("s1") == Path("/d/dkim/s1.private")
    elsewhere = Settings(dkim_selector="s1", dkim_private_key_file=Path("/keys/s1.pem"))
    assert elsewhere.dkim_key_file("s1") == Path("/keys/s1.pem")
    assert elsewhere.dkim_key_file("s2") == elsewhere.data_dir / "dkim" / "s2.private"


def test_a_pkcs8_key_signs_and_other_files_are_refused_without_showing_them(
    tmp_path: Path,
) -> None:
    key = RSA.generate(1024)
    pkcs8 = tmp_path / "genpkey.pem"
    pkcs8.write_bytes(key.export_key(format="PEM", pkcs=8))
    pkcs8.chmod(0o600)
    signed = DkimSigner.from_file(pkcs8, "s1", "example.org").sign(
        b"From: a@example.org\nTo: b@example.net\nSubject: s\n\nbody\n"
    )
    assert signed.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
    for name, data in (
        ("public.pem", key.public_key().export_key()),
        (
            "garbage.pem",
            b"-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n",
        ),
        ("short.pem", RSA.generate(1024).export_key()[:200]),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        path.chmod(0o600)
        with pytest.raises(DkimKeyError) as refused:
            DkimSigner.from_file(path, "s1", "example.org")
        assert "c2VjcmV0" not in str(refused.value)
        assert str(path) in str(refused.value)
