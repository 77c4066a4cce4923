"""SES receipt notifications read as sender verdicts: alignment by SES's word, or by the rule."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.aws.ses_verdicts import authentication_of
from domain.authentication import DkimSignature
from tests.aws.lambda_events import ses_authentication_results, ses_receipt_notification

KEY = "inbound/rsvp/m1"
TO = ["rsvp+abc234@invites.example"]
ALICE = "Alice Example <alice@example.org>"
ESP = "bounce-123@esp.example.net"  # a mailing service's envelope sender, not aligned


def notification(source: str = "alice@example.org", **given: Any) -> dict[str, Any]:
    """An SES receipt for mail from Alice unless told otherwise."""
    return ses_receipt_notification("mail-bucket", KEY, TO, source, **({"from_": [ALICE]} | given))


def ses_header(source: str, dkim: list[tuple[str, str]], **results: str) -> tuple[str, str]:
    return ses_authentication_results(source, "example.org", dkim, **results)


def test_dmarc_pass_from_ses_is_aligned() -> None:
    header = ses_header("alice@example.org", [("pass", "example.org")])
    found = authentication_of(notification(headers=[header]))
    assert (found.aligned, found.aligned_by) == (True, "dmarc (SES)")
    assert (found.checked_by, found.from_domain) == ("SES receipt", "example.org")
    assert found.dkim == (DkimSignature("example.org", "pass"),)
    assert (found.spf, found.spf_domain, found.dmarc) == ("pass", "example.org", "pass")
    assert found.detail is None


def test_dkim_of_the_from_domain_aligns_when_the_domain_has_no_dmarc_record() -> None:
    header = ses_header(ESP, [("pass", "example.org"), ("pass", "esp.example.net")], dmarc="none")
    found = authentication_of(notification(ESP, headers=[header], dmarc="GRAY"))
    assert (found.aligned, found.aligned_by, found.dmarc) == (True, "dkim example.org", "none")
    assert found.dkim_domains == ("example.org", "esp.example.net")


def test_dkim_of_another_domain_is_not_aligned() -> None:
    header = ses_header(ESP, [("pass", "esp.example.net")], dmarc="fail")
    found = authentication_of(
        notification(ESP, headers=[header], dmarc="FAIL", dmarc_policy="quarantine")
    )
    assert (found.aligned, found.aligned_by) == (False, None)
    assert (found.spf, found.spf_domain) == ("pass", "esp.example.net")
    assert found.detail == "the From domain's DMARC policy is quarantine"


@pytest.mark.parametrize(
    ("source", "aligned_by"),
    [("bounces@mail.example.org", "spf mail.example.org"), (ESP, None)],
)
def test_spf_alone_aligns_only_for_an_envelope_sender_of_the_from_domain(
    source: str, aligned_by: str | None
) -> None:
    header = ses_header(source, [], dmarc="none")
    found = authentication_of(notification(source, headers=[header], dkim="GRAY", dmarc="GRAY"))
    assert (found.aligned, found.aligned_by, found.dkim) == (aligned_by is not None, aligned_by, ())


def test_everything_failing_is_not_aligned() -> None:
    source = "alice@example.org"
    header = ses_header(source, [("fail", "example.org")], spf="fail", dmarc="fail")
    failing = {"spf": "FAIL", "dkim": "FAIL", "dmarc": "FAIL"}
    found = authentication_of(notification(source, headers=[header], **failing))
    assert (found.aligned, found.spf, found.dmarc) == (False, "fail", "fail")
    assert found.dkim == (DkimSignature("example.org", "fail"),)


@pytest.mark.parametrize(
    ("from_", "headers", "count"),
    [
        ([], [], 0),
        (["alice@example.org, mallory@evil.example"], [], 2),
        # commonHeaders names one; the message carries a second From header.
        ([ALICE], [("From", "mallory@evil.example")], 2),
    ],
)
def test_without_exactly_one_from_address_nothing_is_aligned(
    from_: list[str], headers: list[tuple[str, str]], count: int
) -> None:
    found = authentication_of(notification(from_=from_, headers=headers))  # SES: all PASS
    assert (found.aligned, found.from_domain) == (False, None)
    assert f"{count} From addresses" in (found.detail or "")


def test_an_icloud_relay_is_aligned_by_its_parent_domain_signature() -> None:
    relay = "noreply@insideicloud.icloud.com"
    header = ("Authentication-Results", "amazonses.com; dkim=pass header.d=icloud.com; spf=none")
    found = authentication_of(notification(relay, from_=[relay], headers=[header], dmarc="GRAY"))
    assert found.from_domain == "insideicloud.icloud.com"
    assert (found.aligned, found.aligned_by) == (True, "dkim icloud.com")


def test_an_authentication_results_below_ses_own_is_ignored() -> None:
    source = "mallory@evil.example"
    ours = ses_header(source, [("pass", "evil.example")], dmarc="fail")
    forged = ("Authentication-Results", "amazonses.com; dkim=pass header.d=victim.com")
    found = authentication_of(
        notification(source, from_=["ceo@victim.com"], headers=[ours, forged], dmarc="FAIL")
    )
    assert (found.from_domain, found.aligned) == ("victim.com", False)
    assert found.dkim_domains == ("evil.example",)


def test_without_ses_header_the_signatures_take_ses_overall_dkim_verdict() -> None:
    signature = ("DKIM-Signature", "v=1; a=rsa-sha256; d=Example.org;\r\n s=sel1; bh=x; b=y")
    found = authentication_of(notification(ESP, headers=[signature], dmarc="GRAY"))
    assert (found.aligned, found.aligned_by) == (True, "dkim example.org")
    [only] = found.dkim
    assert (only.domain, only.result, only.selector) == ("example.org", "pass", "sel1")
    assert "overall DKIM verdict" in (only.detail or "")
    assert "overall DKIM verdict" in (found.detail or "")


def test_an_overall_dkim_pass_over_several_domains_credits_none_of_them() -> None:
    signatures = [("DKIM-Signature", f"v=1; d={d}; s=s1; b=x") for d in ("example.org", "esp.net")]
    found = authentication_of(notification(ESP, headers=signatures, dmarc="GRAY"))
    assert (found.aligned, found.dkim_domains) == (False, ())
    assert {s.result for s in found.dkim} == {"neutral"}


def test_a_topmost_header_of_another_authserv_id_is_not_ses_own() -> None:
    theirs = ("Authentication-Results", "mx.evil.example; dkim=pass header.d=example.org")
    found = authentication_of(notification(ESP, headers=[theirs], dmarc="GRAY", dkim="FAIL"))
    assert (found.aligned, found.dkim_domains) == (False, ())


@pytest.mark.parametrize(
    "broken",
    [
        notification(spf=None, dkim=None, dmarc=None),
        {**notification(), "receipt": {"spfVerdict": "PASS", "dmarcVerdict": {"status": 3}}},
        {"notificationType": "Received", "mail": [], "receipt": "PASS"},
        {"notificationType": "Received"},
    ],
)
def test_missing_or_malformed_verdicts_give_an_unaligned_result_with_a_reason(
    broken: dict[str, Any],
) -> None:
    found = authentication_of(broken)
    assert (found.checked_by, found.aligned) == ("SES receipt", False)
    assert (found.spf, found.dmarc) == ("none", "none")
    assert "receipt.dmarcVerdict" in (found.detail or "")
