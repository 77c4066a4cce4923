"""Domain owners: named in the registry, they sign in to read and administer their domain."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.access import NotVisibleError, mask_address, masked, shown_attendees
from application.admin.authority import administers, check_manages, managed_domain, manages
from application.vocabulary import NotInDomainError, Principal, Scope
from domain.sender_domains import SenderDomain
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from tests.fakes import T0

OWNER = "ops@example.com"
ADMIN = "admin@example.org"


def new_container(tmp_path: Path) -> Container:
    settings = Settings(
        backend="memory", data_dir=tmp_path, web_base_url="http://testserver", admins=ADMIN
    )
    return bootstrap(settings)


def test_a_domain_record_reads_no_owners_until_some_are_set() -> None:
    record = SenderDomain(domain="Example.COM.", timestamp=T0)
    assert tuple(record.owners) == ()
    record.set_owners(owners=[OWNER], timestamp=T0)
    assert tuple(record.owners) == (OWNER,)
    assert record.owned_by(OWNER)
    assert not record.owned_by("ops@example.net")
    record.collect_events()
    with pytest.raises(NotInDomainError):
        record.set_owners(owners=["ops@example.net"], timestamp=T0)
    assert record.collect_events() == []  # refused: nothing to save
    assert tuple(record.owners) == (OWNER,)


def test_an_owner_outside_the_domain_is_refused_and_nothing_is_recorded(tmp_path: Path) -> None:
    registry = new_container(tmp_path).registry()
    for stranger in ("ops@example.net", "ops@sub.example.com", "not an address"):
        with pytest.raises(NotInDomainError):
            registry.set_domain_owners("example.com", [OWNER, stranger], now=T0)
    assert registry.domain_owners("example.com") == ()


def test_the_registry_sets_normalized_owners_and_finds_the_domain_an_address_owns(
    tmp_path: Path,
) -> None:
    registry = new_container(tmp_path).registry()
    registry.set_domain_policy("example.com", None, now=T0)  # an older record, no owners

    registry.set_domain_owners("Example.com", ["<OPS@example.com>", OWNER], now=T0)

    assert registry.domain_owners("example.com") == (OWNER,)
    assert registry.owned_domain("Ops@Example.com") == "example.com"
    assert registry.owned_domain("alice@example.com") is None
    assert registry.owned_domain("nobody") is None
    registry.set_domain_owners("example.com", [], now=T0)
    assert registry.owned_domain(OWNER) is None


def test_an_owner_may_ask_for_a_link_and_signs_in_as_their_domain(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    sessions = container.sessions()
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="may not sign in"):
        sessions.link_for(OWNER, now)

    container.registry().set_domain_owners("example.com", [OWNER], now=now)
    signed = sessions.sign_in(sessions.link_for(OWNER, now).rpartition("/")[2], now)
    current = sessions.current(signed.secret, now)

    assert current is not None
    assert current.address == OWNER
    assert current.principal == Principal(Scope.DOMAIN, "example.com", key_id="session")


def test_an_admin_who_also_owns_a_domain_stays_an_admin(tmp_path: Path) -> None:
    container = new_container(tmp_path)
    now = datetime.now(UTC)
    container.registry().set_domain_owners("example.org", [ADMIN], now=now)
    sessions = container.sessions()
    signed = sessions.sign_in(sessions.link_for(ADMIN, now).rpartition("/")[2], now)
    current = sessions.current(signed.secret, now)
    assert current is not None
    assert current.principal.kind is Scope.ADMIN


def test_who_manages_whom() -> None:
    admin = Principal(Scope.ADMIN, None, "session")
    owner = Principal(Scope.DOMAIN, "example.com", "session")
    organizer = Principal(Scope.ORGANIZER, "alice@example.com", "session")

    assert administers(admin)
    assert administers(owner)
    assert not administers(organizer)
    assert manages(admin, "anyone@anywhere.net")
    assert manages(owner, "Alice@Example.com")
    assert not manages(owner, "alice@sub.example.com")
    assert not manages(owner, "alice@evil-example.com")
    assert not manages(organizer, "alice@example.com")  # not even themselves
    assert managed_domain(admin) is None
    assert managed_domain(owner) == "example.com"
    with pytest.raises(NotVisibleError):
        managed_domain(organizer)
    with pytest.raises(NotVisibleError):
        check_manages(owner, "bob@example.net")


def test_attendees_are_masked_for_those_who_may_not_see_addresses() -> None:
    row = {
        "address": "ann@example.net",
        "name": "Ann",
        "forwarded_by": "bob@example.net",
        "history": ["bounced: ann@example.net unknown"],
        "status": "accepted",
    }
    owner = Principal(Scope.DOMAIN, "example.com", "k")
    organizer = Principal(Scope.ORGANIZER, "alice@example.com", "k")

    assert mask_address("ann@example.net") == "a***@example.net"
    assert mask_address("nobody") == "***"
    assert masked(row) == {
        "address": "a***@example.net",
        "name": None,
        "forwarded_by": "b***@example.net",
        "history": [],
        "status": "accepted",
    }
    assert shown_attendees(owner, "alice@example.com", [row]) == [masked(row)]
    assert shown_attendees(organizer, "alice@example.com", [row]) == [row]


def test_the_cli_shows_sets_and_clears_a_domains_owners(tmp_path: Path) -> None:
    from entrypoints.cli import app

    runner = CliRunner()
    env = {"CIS_DATA_DIR": str(tmp_path)}
    shown = runner.invoke(app, ["organizers", "domain-owners", "example.com"], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == {"domain": "example.com", "owners": []}

    set_ = runner.invoke(
        app, ["organizers", "domain-owners", "Example.com", "OPS@example.com"], env=env
    )
    assert json.loads(set_.stdout) == {"domain": "example.com", "owners": [OWNER]}

    refused = runner.invoke(
        app, ["organizers", "domain-owners", "example.com", "ops@example.net"], env=env
    )
    assert refused.exit_code == 2
    assert "ops@example.net" in refused.stderr

    cleared = runner.invoke(app, ["organizers", "domain-owners", "example.com", "--clear"], env=env)
    assert json.loads(cleared.stdout)["owners"] == []
    helped = runner.invoke(app, ["organizers", "domain-owners", "--help"], env=env)
    assert "owners" in helped.stdout
