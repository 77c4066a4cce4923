"""The corpus under policy dmarc: signed with this run's keys for each sender's own domain,
every email ends as it does under policy off (but one alias reply), and unsigned it counts
for nobody."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import dkim
from dependency_injector import providers

from adapters.inbound.authentication.verifier import MailAuthenticator
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.driver import Driver, driver
from tests.mail_auth import SigningDomain, zone

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def single_from(raw: bytes) -> str | None:
    """Return the domain of the one From address of an email, or None."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    headers = message.get_all("From") or []
    addresses = email.utils.getaddresses([str(h) for h in headers])
    if len(addresses) != 1 or "@" not in addresses[0][1]:
        return None
    return addresses[0][1].rpartition("@")[2].lower()


def signed_emails() -> list[tuple[str, bytes, SigningDomain]]:
    """Return every corpus email with one From that dkimpy can sign, and its signer."""
    found = []
    for path in sorted(CORPUS.rglob("*.eml")):
        raw = path.read_bytes()
        domain = single_from(raw)
        if domain is None:
            continue
        signer = SigningDomain(domain)
        try:
            signer.sign(raw)
        except (dkim.DKIMException, IndexError):
            continue  # a header section dkimpy cannot read (a first line that is folded)
        found.append((path.relative_to(CORPUS).as_posix(), raw, signer))
    return found


def service_for(tmp_path: Path, policy: str, signers: list[SigningDomain]) -> Driver:
    container = bootstrap(
        Settings(data_dir=tmp_path / policy, sender_policy=policy)  # type: ignore[arg-type]
    )
    container.resolver.override(providers.Object(zone(*signers)))
    return driver(container)


def test_signed_corpus_under_dmarc_ends_as_it_does_under_off(tmp_path: Path) -> None:
    emails = signed_emails()
    assert len(emails) > 40
    signers = list({signer.domain: signer for _, _, signer in emails}.values())
    believed = service_for(tmp_path, "off", signers)
    verified = service_for(tmp_path, "dmarc", signers)
    outcomes_off = [believed.ingest(raw, now=NOW).outcome for _, raw, _ in emails]
    outcomes_dmarc = [
        verified.ingest(signer.sign(raw), now=NOW).outcome for _, raw, signer in emails
    ]
    differing = [
        (name, off, dmarc)
        for (name, _, _), off, dmarc in zip(emails, outcomes_off, outcomes_dmarc, strict=True)
        if off != dmarc
    ]
    # Verified, an answer counts only for its sender: the one corpus reply whose From is not
    # the attendee it names (an OBM alias) is quarantined; believed, the alias rule takes it.
    assert differing == [
        ("reply/lightning-obm-reply-singlepart.eml", Outcome.RSVP, Outcome.REJECTED)
    ]
    assert Outcome.CREATED in outcomes_dmarc


def test_unsigned_corpus_under_dmarc_creates_nothing(tmp_path: Path) -> None:
    emails = signed_emails()
    verified = service_for(tmp_path, "dmarc", [])
    outcomes = {verified.ingest(raw, now=NOW).outcome for _, raw, _ in emails}
    assert Outcome.CREATED not in outcomes
    assert Outcome.UPDATED not in outcomes
    assert list(verified.invites()) == []


def test_every_signed_corpus_email_verifies_as_aligned() -> None:
    # Guards the comparison above: a signature that did not verify would prove nothing.
    emails = signed_emails()
    verifier = MailAuthenticator(zone(*{s.domain: s for _, _, s in emails}.values()))
    verdicts = [verifier.verify(s.sign(raw), envelope_from=None) for _, raw, s in emails]
    assert [v.summary() for v in verdicts if not v.aligned] == []
