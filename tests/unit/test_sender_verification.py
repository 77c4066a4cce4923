"""Sender verification: real DKIM signatures, SPF and DMARC over a DNS table, trusted A-R."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable
from pathlib import Path

import pytest

from adapters.inbound.authentication import (
    DnsTemporaryFailure,
    MailAuthenticator,
    NoRecords,
    NoSuchDomain,
    SystemResolver,
    ZoneResolver,
)
from adapters.inbound.authentication.dns import Resolver
from adapters.inbound.authentication.results_header import parse_results
from domain.authentication import DkimSignature, SenderAuthentication
from tests.mail_auth import (
    DMARC,
    DMARC_STRICT,
    SPF_LOCALHOST,
    SigningDomain,
    message,
    zone,
)

EXAMPLE = SigningDomain("example.com")
MAILER = SigningDomain("mailer.example.net", selector="s1")
SUBDOMAIN = SigningDomain("mail.example.com")
ICLOUD = SigningDomain("icloud.com", selector="1a1hai")
TRUSTED = "mx.example.org"


def check(
    raw: bytes,
    resolver: Resolver,
    *,
    client_ip: str | None = None,
    envelope_from: str | None = "bounce@example.com",
    trusted: Iterable[str] = (),
    max_signatures: int = 5,
    budget_seconds: float = 10.0,
) -> SenderAuthentication:
    verifier = MailAuthenticator(
        resolver,
        trusted_authserv_ids=frozenset(trusted),
        max_signatures=max_signatures,
        budget_seconds=budget_seconds,
    )
    return verifier.verify(
        raw, envelope_from=envelope_from, client_ip=client_ip, helo="mail.example.com"
    )


def results_header(value: str) -> str:
    return f"Authentication-Results: {value}"


def test_a_signature_of_the_from_domain_aligns() -> None:
    verdict = check(EXAMPLE.sign(message()), zone(EXAMPLE, dmarc={"example.com": DMARC}))

    assert verdict.checked_by == "this server"
    assert verdict.from_domain == "example.com"
    assert verdict.dkim == (DkimSignature("example.com", "pass", "test"),)
    assert (verdict.aligned, verdict.aligned_by, verdict.dmarc) == (
        True,
        "dkim example.com",
        "pass",
    )
    assert verdict.spf == "none"
    assert "no connecting address" in (verdict.detail or "")


@pytest.mark.parametrize(
    ("client_ip", "spf", "aligned_by"),
    [("127.0.0.1", "pass", "spf example.com"), ("192.0.2.7", "fail", None)],
)
def test_spf_for_the_envelope_domain_aligns_only_when_the_client_may_send(
    client_ip: str, spf: str, aligned_by: str | None
) -> None:
    resolver = zone(spf={"example.com": SPF_LOCALHOST}, dmarc={"example.com": DMARC})
    verdict = check(message(), resolver, client_ip=client_ip)

    assert verdict.dkim == ()
    assert (verdict.spf, verdict.spf_domain) == (spf, "example.com")
    assert verdict.aligned_by == aligned_by
    assert verdict.aligned is (aligned_by is not None)
    assert verdict.dmarc == ("pass" if aligned_by else "fail")


def test_a_null_sender_is_checked_as_postmaster_at_the_helo_domain() -> None:
    resolver = zone(spf={"mail.example.com": SPF_LOCALHOST})
    verdict = check(message(), resolver, client_ip="127.0.0.1", envelope_from=None)

    assert (verdict.spf, verdict.spf_domain) == ("pass", "mail.example.com")
    assert (verdict.aligned, verdict.aligned_by) == (True, "spf mail.example.com")


def test_a_valid_signature_of_another_domain_does_not_align() -> None:
    verdict = check(MAILER.sign(message()), zone(MAILER, dmarc={"example.com": DMARC}))

    assert verdict.dkim_domains == ("mailer.example.net",)
    assert not verdict.aligned
    assert verdict.aligned_by is None
    assert verdict.dmarc == "fail"


def test_no_signature_and_no_spf_record_is_not_aligned() -> None:
    verdict = check(message(), zone(), client_ip="127.0.0.1")

    assert (verdict.dkim, verdict.spf, verdict.dmarc) == ((), "none", "none")
    assert not verdict.aligned
    assert verdict.from_domain == "example.com"


def test_a_body_changed_after_signing_fails() -> None:
    raw = EXAMPLE.sign(message()).replace(b"See you there.", b"See you later.")
    verdict = check(raw, zone(EXAMPLE, dmarc={"example.com": DMARC}))

    [signature] = verdict.dkim
    assert (signature.domain, signature.result) == ("example.com", "fail")
    assert "body hash" in (signature.detail or "")
    assert not verdict.aligned
    assert verdict.dmarc == "fail"


@pytest.mark.parametrize(
    ("record", "aligned", "dmarc"),
    [(DMARC, True, "pass"), (DMARC_STRICT, False, "fail"), (None, True, "pass")],
)
def test_a_subdomain_signature_aligns_relaxed_but_not_strict(
    record: str | None, aligned: bool, dmarc: str
) -> None:
    records = {"example.com": record} if record else {}
    verdict = check(SUBDOMAIN.sign(message()), zone(SUBDOMAIN, dmarc=records))

    assert verdict.dkim_domains == ("mail.example.com",)
    assert verdict.aligned is aligned
    assert verdict.aligned_by == ("dkim mail.example.com" if aligned else None)
    assert verdict.dmarc == dmarc


def test_an_icloud_relay_from_a_subdomain_aligns_with_the_parent_signature() -> None:
    raw = ICLOUD.sign(message(sender="Apple <noreply@insideicloud.icloud.com>"))
    verdict = check(raw, zone(ICLOUD, dmarc={"icloud.com": "v=DMARC1; p=quarantine"}))

    assert verdict.from_domain == "insideicloud.icloud.com"
    assert (verdict.aligned, verdict.aligned_by) == (True, "dkim icloud.com")
    assert "_dmarc.icloud.com" in (verdict.detail or "")


FORGED = "evil.example; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"


@pytest.mark.parametrize("trusted", [(), (TRUSTED,)])
def test_a_forged_results_header_from_an_untrusted_server_is_ignored(
    trusted: tuple[str, ...],
) -> None:
    raw = message(extra=[results_header(FORGED)])
    verdict = check(raw, zone(dmarc={"example.com": DMARC}), trusted=trusted)

    assert verdict.checked_by == "this server"
    assert verdict.dkim == ()
    assert not verdict.aligned
    assert verdict.dmarc == "fail"


def test_a_trusted_topmost_results_header_is_honoured() -> None:
    value = (
        "MX.Example.ORG; dkim=pass (2048-bit key; secure) header.d=example.com header.s=sel;"
        " spf=pass (sender allowed) smtp.mailfrom=bounce@example.com;"
        ' dmarc=pass (p=reject dis=none) header.from="example.com"'
    )
    verdict = check(message(extra=[results_header(value)]), zone(), trusted=[TRUSTED])

    assert verdict.checked_by == TRUSTED
    assert verdict.dkim == (DkimSignature("example.com", "pass", "sel", f"reported by {TRUSTED}"),)
    assert (verdict.spf, verdict.spf_domain) == ("pass", "example.com")
    assert (verdict.aligned, verdict.aligned_by, verdict.dmarc) == (
        True,
        "dkim example.com",
        "pass",
    )


def test_an_amazon_ses_results_header_is_read_despite_its_syntax() -> None:
    value = (
        "amazonses.com;\r\n spf=pass (spfCheck: domain of example.com designates 192.0.2.1 as"
        " permitted sender) client-ip=192.0.2.1; envelope-from=bounce@example.com;"
        " helo=mail.example.com;\r\n dkim=pass header.i=@example.com;"
        " dmarc=pass header.from=example.com;"
    )
    verdict = check(message(extra=[results_header(value)]), zone(), trusted=["amazonses.com"])

    assert verdict.checked_by == "amazonses.com"
    assert verdict.dkim_domains == ("example.com",)
    assert (verdict.spf, verdict.spf_domain) == ("pass", "example.com")
    assert verdict.aligned


@pytest.mark.parametrize(
    ("value", "dmarc"),
    [
        (
            f"{TRUSTED}; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example",
            "none",
        ),
        (
            f"{TRUSTED}; dkim=pass header.d=mail.example.com; dmarc=fail header.from=example.com",
            "fail",
        ),
    ],
)
def test_a_trusted_header_cannot_align_what_the_from_does_not_say(value: str, dmarc: str) -> None:
    verdict = check(message(extra=[results_header(value)]), zone(), trusted=[TRUSTED])

    assert verdict.checked_by == TRUSTED
    assert verdict.from_domain == "example.com"
    assert not verdict.aligned
    assert verdict.dmarc == dmarc


def test_results_header_comments_and_quoting_are_read_as_rfc_8601_says() -> None:
    header = parse_results(
        "mx.example.org 1 (a (nested) comment); dkim/1 = pass (ok \\) still) header.d=Example.COM"
        ' reason="quoted; with semicolon"; none'
    )

    assert header is not None
    assert header.authserv_id == TRUSTED
    [clause] = header.clauses
    assert (clause.method, clause.result) == ("dkim", "pass")
    assert clause.properties == {"header.d": "Example.COM"}
    assert parse_results("mx.example.org; dkim=pass (never closed") is None
    assert parse_results("mx.example.org; " + "x" * 20_000) is None


def test_a_trusted_header_below_a_strangers_one_is_not_used() -> None:
    trusted = f"{TRUSTED}; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"
    raw = message(extra=[results_header("relay.example; none"), results_header(trusted)])
    verdict = check(raw, zone(), trusted=[TRUSTED])

    assert verdict.checked_by == "this server"
    assert not verdict.aligned
    assert "untrusted relay.example" in (verdict.detail or "")


def test_headers_below_the_trusted_topmost_one_are_ignored_even_with_its_name() -> None:
    mine = f"{TRUSTED}; dkim=fail header.d=example.com; dmarc=fail header.from=example.com"
    forged = f"{TRUSTED}; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"
    raw = message(extra=[results_header(mine), results_header(forged)])
    verdict = check(raw, zone(), trusted=[TRUSTED])

    assert verdict.checked_by == TRUSTED
    assert [s.result for s in verdict.dkim] == ["fail"]
    assert not verdict.aligned


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (message(sender=None), "no From header"),
        (message(extra=["From: mallory@evil.example"]), "2 From headers"),
        (message(sender="alice@example.com, mallory@evil.example"), "2 addresses"),
        (message(sender="undisclosed-recipients:;"), "no addresses"),
    ],
)
def test_without_exactly_one_from_address_nothing_aligns(raw: bytes, why: str) -> None:
    verdict = check(EXAMPLE.sign(raw), zone(EXAMPLE, dmarc={"example.com": DMARC}))

    assert verdict.from_domain is None
    assert not verdict.aligned
    assert verdict.dmarc == "none"
    assert why in (verdict.detail or "")


def test_a_temporary_dns_failure_is_a_temperror_not_an_exception() -> None:
    failing = [EXAMPLE.key_name, "example.com", "_dmarc.example.com"]
    verdict = check(EXAMPLE.sign(message()), zone(failing=failing), client_ip="127.0.0.1")

    assert [s.result for s in verdict.dkim] == ["temperror"]
    assert verdict.spf == "temperror"
    assert verdict.dmarc == "temperror"
    assert not verdict.aligned


def test_a_server_that_never_answers_is_a_temporary_failure() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        resolver = SystemResolver(nameservers=["127.0.0.1"], port=port, timeout=0.2, lifetime=0.3)
        with pytest.raises(DnsTemporaryFailure):
            resolver.txt("test._domainkey.example.com")
        verdict = check(EXAMPLE.sign(message()), resolver)

    assert [s.result for s in verdict.dkim] == ["temperror"]
    assert not verdict.aligned


def test_a_missing_key_is_a_permerror() -> None:
    verdict = check(EXAMPLE.sign(message()), zone(dmarc={"example.com": DMARC}))

    [signature] = verdict.dkim
    assert signature.result == "permerror"
    assert "test._domainkey.example.com" in (signature.detail or "")
    assert not verdict.aligned


def test_at_most_five_of_fifty_signatures_are_verified() -> None:
    signed = EXAMPLE.sign(message())
    signature, _, _ = signed.partition(b"From: ")
    raw = signature * 49 + signed

    verdict = check(raw, zone(EXAMPLE))

    assert [s.result for s in verdict.dkim] == ["pass"] * 5
    assert "45 further DKIM signatures not checked" in (verdict.detail or "")
    assert len(check(raw, zone(EXAMPLE), max_signatures=2).dkim) == 2


def test_a_spent_time_budget_leaves_signatures_unchecked() -> None:
    verdict = check(EXAMPLE.sign(message()), zone(EXAMPLE), budget_seconds=0)

    assert [s.result for s in verdict.dkim] == ["temperror"]
    assert not verdict.aligned


def test_a_hostile_header_section_is_refused_not_parsed() -> None:
    folded = "X-Filler: a" + "\r\n b" * 5000
    verdict = check(EXAMPLE.sign(message(extra=[folded])), zone(EXAMPLE))

    assert [s.result for s in verdict.dkim] == ["permerror"]
    assert "too large" in (verdict.dkim[0].detail or "")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe not mail at all",
        b" starts folded\r\nFrom: alice@example.com\r\n\r\nbody",
        b"DKIM-Signature: v=1; d=example.com; s=test; b=!!!\r\nFrom: alice@example.com\r\n\r\nx",
        b"DKIM-Signature: garbage\r\nFrom: alice@example.com\r\nBad header line\r\n\r\nx",
        b"Authentication-Results: mx.example.org; dkim=pass (unterminated\r\n\r\n",
    ],
)
def test_garbage_never_raises(raw: bytes) -> None:
    verdict = check(raw, zone(EXAMPLE), client_ip="not an address", trusted=[TRUSTED])

    assert isinstance(verdict, SenderAuthentication)
    assert not verdict.aligned


def test_a_zone_table_loads_from_a_json_file(tmp_path: Path) -> None:
    table = {
        "Example.COM.": {
            "txt": [SPF_LOCALHOST, ["v=DKIM1; ", "p=abc"]],
            "A": ["192.0.2.1"],
            "MX": [[10, "MX.example.com."]],
        },
        "down.example.com": "SERVFAIL",
        "half.example.com": {"A": ["192.0.2.2"], "TXT": "SERVFAIL"},
        **EXAMPLE.records(),
        f"_dmarc.{EXAMPLE.domain}": {"TXT": [DMARC]},
    }
    path = tmp_path / "zone.json"
    path.write_text(json.dumps(table), encoding="utf-8")
    resolver = ZoneResolver.from_file(path)

    assert resolver.txt("example.com") == [SPF_LOCALHOST.encode(), b"v=DKIM1; p=abc"]
    assert resolver.a("EXAMPLE.com.") == ["192.0.2.1"]
    assert resolver.mx("example.com") == [(10, "mx.example.com")]
    assert resolver.a("half.example.com") == ["192.0.2.2"]
    with pytest.raises(NoSuchDomain):
        resolver.txt("nowhere.example.com")
    with pytest.raises(NoRecords) as no_answer:
        resolver.aaaa("example.com")
    assert not isinstance(no_answer.value, NoSuchDomain)
    for name in ("down.example.com", "half.example.com"):
        with pytest.raises(DnsTemporaryFailure):
            resolver.txt(name)
    verdict = check(EXAMPLE.sign(message()), resolver, client_ip="127.0.0.1")
    assert (verdict.aligned, verdict.spf, verdict.dmarc) == (True, "pass", "pass")
