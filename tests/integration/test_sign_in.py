"""Signing in to the web app by a link mailed to one's own address (real SQLite, outbox)."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.mail.outbox import OutboxFolderMailer
from domain.api_keys import Scope
from domain.web_links import InvalidLinkError
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
BASE = "https://invites.example"
ORGANIZER = "inboxapptest@gmail.com"  # the ORGANIZER of update/gcal-selfsent-seq0.ics
ADMIN = "boss@example.org"


@pytest.fixture
def container(tmp_path: Path) -> Container:
    settings = Settings(data_dir=tmp_path, web_base_url=BASE, admins=ADMIN, sender_policy="off")
    return bootstrap(settings)


def links(container: Container, to: str) -> list[str]:
    """Return the sign-in links mailed to ``to``, oldest first."""
    found = []
    for entry in OutboxFolderMailer(container.settings().outbox_path).entries():
        message = email.message_from_bytes(entry.path.read_bytes(), policy=email.policy.default)
        if to in str(message["To"]) and "sign-in" in str(message["Subject"]).lower():
            body = message.get_body(("plain",))
            assert body is not None
            found += re.findall(re.escape(BASE) + r"/sign-in/[A-Za-z0-9_-]+", body.get_content())
    return found


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_an_organizer_of_a_recorded_invite_signs_in_once_by_the_link(container: Container) -> None:
    raw = (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes()
    from_organizer(driver(container), raw, now=NOW)
    container.projections().run()
    sessions = container.sessions()

    sessions.request_link(ORGANIZER.upper(), NOW)

    (link,) = links(container, ORGANIZER)
    signed = sessions.sign_in(token_of(link), NOW + timedelta(minutes=5))
    principal = sessions.principal(signed.secret, NOW + timedelta(minutes=6))
    assert principal is not None
    assert (principal.kind, principal.subject) == (Scope.ORGANIZER, ORGANIZER)
    with pytest.raises(InvalidLinkError, match="used already"):
        sessions.sign_in(token_of(link), NOW + timedelta(minutes=7))


def test_an_unknown_address_gets_no_mail(container: Container) -> None:
    container.sessions().request_link("stranger@example.net", NOW)
    assert links(container, "stranger@example.net") == []


def test_an_administrator_signs_in_as_admin(container: Container) -> None:
    sessions = container.sessions()
    sessions.request_link(ADMIN, NOW)
    (link,) = links(container, ADMIN)
    principal = sessions.principal(sessions.sign_in(token_of(link), NOW).secret, NOW)
    assert principal is not None
    assert principal.kind is Scope.ADMIN


def test_a_link_expires_and_cannot_be_altered(container: Container) -> None:
    container.registry().allow(ORGANIZER, now=NOW)
    sessions = container.sessions()
    sessions.request_link(ORGANIZER, NOW)
    (link,) = links(container, ORGANIZER)
    token = token_of(link)
    with pytest.raises(InvalidLinkError, match="expired"):
        sessions.sign_in(token, NOW + timedelta(minutes=15))
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(InvalidLinkError, match="not valid"):
        sessions.sign_in(altered, NOW)


def test_signing_out_ends_the_session_and_the_store_never_holds_its_secret(
    container: Container,
) -> None:
    container.registry().allow(ORGANIZER, now=NOW)
    sessions = container.sessions()
    sessions.request_link(ORGANIZER, NOW)
    (link,) = links(container, ORGANIZER)
    signed = sessions.sign_in(token_of(link), NOW)
    stored = container.store().recorder.select_notifications(1, 10_000)
    assert not any(signed.secret.encode() in n.state for n in stored)

    sessions.sign_out(signed.secret, NOW + timedelta(minutes=1))

    assert sessions.principal(signed.secret, NOW + timedelta(minutes=2)) is None


def test_a_session_expires_and_its_form_token_is_its_own(container: Container) -> None:
    container.registry().allow(ORGANIZER, now=NOW)
    container.registry().allow("other@example.org", now=NOW)
    sessions = container.sessions()
    sessions.request_link(ORGANIZER, NOW)
    sessions.request_link("other@example.org", NOW)
    mine = sessions.sign_in(token_of(links(container, ORGANIZER)[0]), NOW).secret
    theirs = sessions.sign_in(token_of(links(container, "other@example.org")[0]), NOW).secret

    assert sessions.csrf_valid(mine, sessions.csrf_token(mine))
    assert not sessions.csrf_valid(mine, sessions.csrf_token(theirs))
    assert sessions.principal(mine, NOW + timedelta(days=15)) is None


def test_links_are_sent_a_few_times_an_hour_at_most(container: Container) -> None:
    container.registry().allow(ORGANIZER, now=NOW)
    for minute in range(5):
        container.sessions().request_link(ORGANIZER, NOW + timedelta(minutes=minute))
    assert len(links(container, ORGANIZER)) == 3


def test_the_operator_prints_a_link_for_a_known_address_only_and_mails_nothing(
    container: Container,
) -> None:
    sessions = container.sessions()

    link = sessions.link_for(ADMIN.upper(), NOW)

    assert links(container, ADMIN) == []
    assert sessions.address_of(token_of(link), NOW) == ADMIN
    with pytest.raises(ValueError, match="may not sign in"):
        sessions.link_for("stranger@example.org", NOW)
    with pytest.raises(ValueError, match="not an address"):
        sessions.link_for("not an address", NOW)


def test_cis_sign_in_prints_a_link_that_signs_in(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "entrypoints.cli", "--data-dir", str(tmp_path)]
    env = {**os.environ, "CIS_ADMINS": ADMIN}
    printed = subprocess.run(
        [*cli, "sign-in", ADMIN, "--web-base-url", BASE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    refused = subprocess.run(
        [*cli, "sign-in", "stranger@example.org", "--web-base-url", BASE],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    container = bootstrap(Settings(data_dir=tmp_path, web_base_url=BASE, admins=ADMIN))
    signed = container.sessions().sign_in(token_of(printed), datetime.now(UTC))
    assert signed.address == ADMIN
    assert refused.returncode == 2
    assert "may not sign in" in refused.stderr
