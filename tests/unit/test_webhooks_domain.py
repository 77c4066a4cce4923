"""The webhook rules of the domain: which addresses a server must not reach, which URLs an
endpoint may have, the retry schedule, and whose events an endpoint gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.api_keys import Principal, Scope
from domain.identity import NAMESPACE
from domain.webhooks import (
    InvalidWebhookError,
    WebhookEndpoint,
    checked_event_types,
    checked_url,
    refused_address,
    retry_delay,
    webhook_id,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.7", "private"),
        ("172.16.3.4", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "not globally routable"),
        ("::1", "loopback"),
        ("fc00::1", "private"),
        ("fe80::1%eth0", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("::", "unspecified"),
    ],
)
def test_addresses_a_server_must_not_reach(address: str, reason: str) -> None:
    found = refused_address(address)
    assert found is not None
    assert reason in found


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_reachable(address: str) -> None:
    assert refused_address(address) is None


@pytest.mark.parametrize(
    ("url", "https_only", "problem"),
    [
        ("http://example.com/x", True, "https://"),
        ("ftp://example.com/x", False, "http"),
        ("https:///x", False, "no host"),
        ("https://user:pw@example.com/x", False, "credentials"),
        ("https://example.com/x#part", False, "fragment"),
        ("https://example.com:0/x", False, "port"),
        ("https://example.com:99999/x", False, "not a URL"),
        ("https://example.com/" + "x" * 2001, False, "longer"),
    ],
)
def test_urls_an_endpoint_may_not_have(url: str, https_only: bool, problem: str) -> None:
    with pytest.raises(InvalidWebhookError, match=problem):
        checked_url(url, https_only=https_only)


def test_event_types_are_checked_and_put_in_order() -> None:
    assert checked_event_types(["answer.recorded", "invite.created", "invite.created"]) == (
        "invite.created",
        "answer.recorded",
    )
    with pytest.raises(InvalidWebhookError, match=r"unknown event types: invite\.exploded"):
        checked_event_types(["invite.exploded"])
    with pytest.raises(InvalidWebhookError, match="at least one"):
        checked_event_types([])


def test_the_schedule_backs_off_with_bounded_jitter_and_ends() -> None:
    plain = [d for n in range(1, 8) if (d := retry_delay(n, 0.0)) is not None]
    assert len(plain) == 7
    assert plain == sorted(plain)
    assert sum(plain, timedelta()) > timedelta(days=1)
    assert retry_delay(1, 1.0) == timedelta(seconds=5.5)
    assert retry_delay(1, -5.0) == timedelta(seconds=4.5)
    assert retry_delay(8, 0.0) is None


def test_a_webhook_id_is_one_per_event() -> None:
    assert webhook_id(NAMESPACE, 3) == webhook_id(NAMESPACE, 3)
    assert webhook_id(NAMESPACE, 3) != webhook_id(NAMESPACE, 4)
    assert webhook_id(NAMESPACE, 3).startswith("msg_")


def endpoint(kind: Scope, owner: str | None) -> WebhookEndpoint:
    return WebhookEndpoint(
        key="ep_test",
        owner_kind=kind.value,
        owner=owner,
        url="https://example.com/x",
        event_types=("invite.created",),
        secret="sealed",
        contact=None,
        description=None,
        timestamp=NOW,
    )


def test_whose_events_an_endpoint_gets() -> None:
    later = NOW + timedelta(minutes=1)
    mine = endpoint(Scope.ORGANIZER, "alice@example.com")
    assert mine.wants("invite.created", "Alice@Example.com", later)
    assert not mine.wants("invite.created", "bob@example.com", later)
    assert not mine.wants("invite.updated", "alice@example.com", later)
    assert not mine.wants("invite.created", "alice@example.com", NOW - timedelta(seconds=1))
    domain = endpoint(Scope.DOMAIN, "example.com")
    assert domain.wants("invite.created", "bob@example.com", later)
    assert not domain.wants("invite.created", "bob@sub.example.com", later)
    assert not domain.wants("invite.created", None, later)
    admin = endpoint(Scope.ADMIN, None)
    assert admin.wants("invite.created", None, later)
    admin.disable("test", later)
    assert not admin.wants("invite.created", None, later)


def test_who_sees_an_endpoint() -> None:
    mine = endpoint(Scope.ORGANIZER, "alice@example.com")
    assert mine.visible_to(Principal(Scope.ORGANIZER, "alice@example.com", "k"))
    assert mine.visible_to(Principal(Scope.DOMAIN, "example.com", "k"))
    assert mine.visible_to(Principal(Scope.ADMIN, None, "k"))
    assert not mine.visible_to(Principal(Scope.ORGANIZER, "bob@example.com", "k"))
    assert not mine.visible_to(Principal(Scope.DOMAIN, "example.org", "k"))
    domain = endpoint(Scope.DOMAIN, "example.com")
    assert not domain.visible_to(Principal(Scope.ORGANIZER, "alice@example.com", "k"))


def test_a_day_of_failures_disables_and_a_success_forgives() -> None:
    hook = endpoint(Scope.ADMIN, None)
    assert not hook.failed(NOW)
    assert not hook.failed(NOW + timedelta(hours=23))
    hook.succeeded(NOW + timedelta(hours=23, minutes=30))
    assert hook.failing_since is None
    assert not hook.failed(NOW + timedelta(hours=24))
    assert hook.failed(NOW + timedelta(hours=48))
    assert not hook.enabled
    assert hook.disabled_reason is not None
