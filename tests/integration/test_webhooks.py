"""Webhooks end to end through the real composition root: invites ingested, events fanned out
to endpoints, delivered over real HTTP to a receiver on 127.0.0.1 that checks signatures with
the standardwebhooks package, retried on failure, deduplicated by webhook-id, signed with two
secrets during a rotation, disabled after a day of failures (the owner told), and refused on
addresses a server must not reach."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers

from adapters.webhooks.http import HttpWebhookTransport
from application.ports import Notice, NoticeSender, RecipientRow
from application.send_types import Recipient
from application.vocabulary import Principal, Scope
from application.webhooks.front_door import InvalidWebhookError, Webhooks
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import Driver
from tests.fakes import BOB, ORGANIZER, FakeParser, KeptMail, at, cancel, deliver, reply, request
from tests.webhook_receiver import receiver, signed_by

ALICE = Principal(Scope.ORGANIZER, ORGANIZER, "test")
EVERYTHING = [
    "invite.created",
    "invite.updated",
    "invite.cancelled",
    "answer.recorded",
]


class Told(NoticeSender):
    """Keeps the organizer notices instead of mailing them."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def send(self, notice: Notice, *, now: datetime) -> str:
        self.notices.append(notice)
        return "kept"


def service(told: Told | None = None, **settings: Any) -> Driver:
    """The application on the memory backend with webhooks to this machine allowed."""
    values: dict[str, Any] = {
        "backend": "memory",
        "sender_policy": "off",
        "open_registry": True,
        "webhooks_allow_private": True,
        "notify_organizers": told is not None,
    }
    container = bootstrap(Settings(**(values | settings)))
    container.parser.override(providers.Object(FakeParser()))
    container.mailer.override(providers.Object(KeptMail()))
    if told is not None:
        container.notices.override(providers.Object(told))
    return Driver(container)


def doors(app: Driver) -> Webhooks:
    webhooks: Webhooks = app.doors.webhooks
    return webhooks


def rounds(webhooks: Webhooks, start: datetime, step: timedelta, count: int) -> datetime:
    """Run ``count`` rounds, the clock moving ``step`` before each; return the last time."""
    now = start
    for _ in range(count):
        now += step
        webhooks.run(now)
    return now


def test_each_event_is_signed_retried_and_processed_exactly_once_after_dedup() -> None:
    app = service()
    webhooks = doors(app)
    with receiver(fail_first=3) as hook:
        endpoint, secret = webhooks.register(ALICE, hook.url, EVERYTHING, at(-10))
        hook.secrets.append(secret)
        deliver(app, request(), now=at(0))
        deliver(app, request(sequence=1, dtstamp=at(5), location="Room 7"), now=at(5))
        deliver(app, reply(BOB, "ACCEPTED"), now=at(30))
        deliver(app, cancel(sequence=2, dtstamp=at(60)), now=at(60))
        # Rounds an hour apart: past every wait of the schedule up to the 4th attempt.
        rounds(webhooks, at(60), timedelta(hours=1), 5)

    log = webhooks.deliveries(ALICE, endpoint.key).messages
    types = sorted(m.event_type for m in log)
    assert types == [
        "answer.recorded",
        "invite.cancelled",
        "invite.created",
        "invite.updated",
    ]
    assert {m.status for m in log} == {"delivered"}
    # Every message arrived at least once, signed with the endpoint's secret...
    assert set(hook.counts) == {m.webhook_id for m in log}
    assert all(r.verified for r in hook.received)
    # ...the three failures made some arrive more than once, under the same id...
    assert sum(hook.counts.values()) == len(log) + 3
    assert max(hook.counts.values()) >= 2
    # ...and after dedup by webhook-id, each was processed exactly once.
    assert len(hook.accepted) == len(log)
    failed = [m for m in log if len(m.attempts) > 1]
    assert all(m.attempts[0].status_code == 500 for m in failed)
    assert all(m.attempts[-1].ok and m.attempts[-1].status_code == 204 for m in log)
    answer = next(r for r in hook.accepted.values() if r.payload["type"] == "answer.recorded")
    assert answer.payload["data"]["attendee"] == BOB
    assert answer.payload["data"]["status"] == "ACCEPTED"
    assert answer.payload["data"]["client"] == "-//Tests//Attendee//EN"
    assert answer.payload["data"]["channel"] == "organizer"
    updated = next(r for r in hook.accepted.values() if r.payload["type"] == "invite.updated")
    assert updated.payload["data"]["location"] == "Room 7"
    assert "location" in updated.payload["data"]["changed"]


def test_a_domain_owners_endpoint_gets_the_people_masked_as_the_api_shows_them() -> None:
    app = service()
    webhooks = doors(app)
    owner = Principal(Scope.DOMAIN, ORGANIZER.partition("@")[2], "test")
    with receiver() as hook:
        endpoint, secret = webhooks.register(owner, hook.url, ["answer.recorded"], at(-10))
        hook.secrets.append(secret)
        deliver(app, request(), now=at(0))
        deliver(app, reply(BOB, "ACCEPTED"), now=at(30))
        webhooks.run(at(31))

    (answer,) = hook.accepted.values()
    local, _, domain = BOB.partition("@")
    assert answer.payload["data"]["attendee"] == f"{local[0]}***@{domain}"
    assert answer.payload["data"]["status"] == "ACCEPTED"
    assert BOB.encode() not in answer.body
    (logged,) = webhooks.deliveries(owner, endpoint.key).messages
    assert logged.status == "delivered"


def test_a_bulk_send_tells_its_end_with_its_counts() -> None:
    app = service()
    webhooks = doors(app)
    with receiver() as hook:
        endpoint, secret = webhooks.register(ALICE, hook.url, ["bulk.finished"], at(-10))
        hook.secrets.append(secret)
        created = deliver(app, request(), now=at(0))
        assert created.invite is not None
        listed = [Recipient("ann@example.org"), Recipient("cy@example.org")] * 2
        unusable = [RecipientRow(4, "not an address", problem="no @")]
        app.doors.outbound.send(
            str(created.invite), listed, now=at(10), invalid=unusable, summary=True
        )
        webhooks.run(at(11))

    (finished,) = hook.accepted.values()
    assert finished.payload["type"] == "bulk.finished"
    assert finished.payload["data"]["invite"] == str(created.invite)
    assert finished.payload["data"]["counts"] == {"duplicate": 2, "sent": 2}
    assert (finished.payload["data"]["invalid"], finished.payload["data"]["parts"]) == (1, 1)
    assert [m.status for m in webhooks.deliveries(ALICE, endpoint.key).messages] == ["delivered"]


def test_the_log_fanned_out_again_records_nothing_twice() -> None:
    app = service()
    webhooks = doors(app)
    with receiver() as hook:
        endpoint, secret = webhooks.register(ALICE, hook.url, EVERYTHING, at(-10))
        hook.secrets.append(secret)
        deliver(app, request(), now=at(0))
        webhooks.run(at(1))
        # The whole log again, as a change stream redelivering or a lost bookmark would.
        stored = app.recorder.select_notifications(1, 10_000)
        assert webhooks.fan_out_stored(stored, at(2)) == []
        webhooks.run(at(3))
    assert len(webhooks.deliveries(ALICE, endpoint.key).messages) == 1
    assert list(hook.counts.values()) == [1]


def test_an_endpoint_gets_nothing_from_before_it_was_registered() -> None:
    app = service()
    webhooks = doors(app)
    deliver(app, request(), now=at(0))
    with receiver() as hook:
        endpoint, _ = webhooks.register(ALICE, hook.url, EVERYTHING, at(10))
        webhooks.run(at(11))
    assert hook.received == []
    assert webhooks.deliveries(ALICE, endpoint.key).messages == []


def test_other_organizers_events_and_unwanted_types_are_not_sent() -> None:
    app = service()
    webhooks = doors(app)
    with receiver() as hook:
        other = Principal(Scope.ORGANIZER, "zoe@elsewhere.example", "test")
        webhooks.register(other, hook.url, EVERYTHING, at(-10))
        mine, _ = webhooks.register(ALICE, hook.url, ["invite.cancelled"], at(-10))
        deliver(app, request(), now=at(0))
        webhooks.run(at(1))
    assert hook.received == []
    assert webhooks.deliveries(ALICE, mine.key).messages == []


def test_during_a_rotation_both_secrets_sign_and_after_it_only_the_new_one() -> None:
    app = service()
    webhooks = doors(app)
    with receiver() as hook:
        endpoint, old = webhooks.register(ALICE, hook.url, ["invite.created"], at(-60))
        rotated, new = webhooks.rotate(ALICE, endpoint.key, at(-30))
        hook.secrets.extend([old, new])
        deliver(app, request(), now=at(0))
        webhooks.run(at(1))
        (message,) = webhooks.deliveries(ALICE, endpoint.key).messages
        # The same message again once the overlap is over.
        later = at(-30) + timedelta(hours=24, minutes=1)
        webhooks.send_again(ALICE, endpoint.key, message.webhook_id, later)
        webhooks.run(later)
    assert new != old
    assert rotated.previous_secret_until == at(-30) + timedelta(hours=24)
    during, after = hook.received
    assert during.webhook_id == after.webhook_id == message.webhook_id
    # During the overlap: two signatures; a receiver knowing only the new secret accepts it,
    # and so does one still knowing only the old.
    assert len(during.signatures) == 2
    assert signed_by(new, during.headers, during.body)
    assert signed_by(old, during.headers, during.body)
    # After it: one signature, the new secret's; the old secret alone no longer verifies.
    assert len(after.signatures) == 1
    assert signed_by(new, after.headers, after.body)
    assert not signed_by(old, after.headers, after.body)
    assert webhooks.endpoint(ALICE, endpoint.key, later).previous_secret_until is None


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_told() -> None:
    told = Told()
    app = service(told)
    webhooks = doors(app)
    with receiver(fail_first=10_000) as hook:
        endpoint, secret = webhooks.register(ALICE, hook.url, EVERYTHING, at(-10))
        hook.secrets.append(secret)
        deliver(app, request(), now=at(0))
        webhooks.run(at(1))
        assert webhooks.endpoint(ALICE, endpoint.key, at(1)).failing_since == at(1)
        # Not yet after 23 hours of failures...
        last = rounds(webhooks, at(1), timedelta(hours=1), 23)
        assert webhooks.endpoint(ALICE, endpoint.key, last).enabled
        # ...disabled by the first failure a day after the first.
        last = rounds(webhooks, last, timedelta(hours=1), 12)
        attempts_made = len(hook.received)
        rounds(webhooks, last, timedelta(hours=6), 4)

    view = webhooks.endpoint(ALICE, endpoint.key, last)
    assert not view.enabled
    assert view.disabled_reason is not None
    assert "failed since" in view.disabled_reason
    assert view.disabled_at is not None
    assert view.disabled_at - at(1) >= timedelta(days=1)
    # Nothing more is attempted once disabled; the message ends, every attempt kept.
    assert len(hook.received) == attempts_made
    (message,) = webhooks.deliveries(ALICE, endpoint.key).messages
    assert message.status in {"failed", "abandoned"}
    answered = [a.status_code for a in message.attempts if a.status_code is not None]
    assert answered == [500] * attempts_made
    (notice,) = [n for n in told.notices if n.kind == "webhook-disabled"]
    assert notice.to == ORGANIZER
    assert notice.facts["url"] == hook.url
    assert notice.facts["endpoint"] == endpoint.key


def test_a_recovering_endpoint_is_not_disabled() -> None:
    app = service()
    webhooks = doors(app)
    with receiver(fail_first=2) as hook:
        endpoint, secret = webhooks.register(ALICE, hook.url, EVERYTHING, at(-10))
        hook.secrets.append(secret)
        deliver(app, request(), now=at(0))
        rounds(webhooks, at(0), timedelta(hours=1), 3)
    view = webhooks.endpoint(ALICE, endpoint.key, at(300))
    assert view.enabled
    assert view.failing_since is None


def test_the_retry_schedule_backs_off_with_jitter_for_more_than_a_day() -> None:
    app = service()
    webhooks = doors(app)
    with receiver(fail_first=10_000) as hook:
        endpoint, _ = webhooks.register(ALICE, hook.url, EVERYTHING, at(-10))
        deliver(app, request(), now=at(0))
        rounds(webhooks, at(0), timedelta(minutes=1), 1)
        first = webhooks.deliveries(ALICE, endpoint.key).messages[0]
        assert first.next_attempt is not None
        wait = first.next_attempt - first.attempts[0].at
        assert timedelta(seconds=4.5) <= wait <= timedelta(seconds=5.5)
        # Keep the endpoint from being disabled, to see the whole schedule.
        now = at(1)
        while True:
            message = webhooks.deliveries(ALICE, endpoint.key).messages[0]
            if message.next_attempt is None:
                break
            now = message.next_attempt
            webhooks.update(ALICE, endpoint.key, now, enabled=False)
            webhooks.update(ALICE, endpoint.key, now, enabled=True)
            webhooks.run(now)
    message = webhooks.deliveries(ALICE, endpoint.key).messages[0]
    assert message.status == "failed"
    assert len(message.attempts) == 8
    gaps = [b.at - a.at for a, b in zip(message.attempts, message.attempts[1:], strict=False)]
    schedule = [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
    ]
    assert all(0.9 * want <= gap <= 1.1 * want for gap, want in zip(gaps, schedule, strict=True))
    assert len(set(gaps)) == len(gaps)  # jittered: no two waits alike
    assert message.attempts[-1].at - message.attempts[0].at > timedelta(days=1)
    assert len(hook.received) == 8


# -- SSRF ---------------------------------------------------------------------------------

REFUSED = [
    "https://127.0.0.1/hook",
    "https://10.1.2.3/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[fc00::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://192.168.1.1/hook",
    "https://0.0.0.0/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_addresses_are_refused_where_they_are_not_allowed(url: str) -> None:
    # The embedded default's rule, and the aws backend's whatever its settings (see below).
    webhooks = doors(service(webhooks_allow_private=False))
    with pytest.raises(InvalidWebhookError, match="may not deliver there"):
        webhooks.register(ALICE, url, ["invite.created"], at(0))


@pytest.mark.parametrize("url", REFUSED)
def test_private_addresses_are_allowed_on_the_embedded_default_when_configured(
    url: str,
) -> None:
    webhooks = doors(service(webhooks_allow_private=True))
    endpoint, _ = webhooks.register(ALICE, url.replace("https", "http"), ["invite.created"], at(0))
    assert endpoint.enabled


def test_a_name_resolving_to_loopback_is_refused() -> None:
    webhooks = doors(service(webhooks_allow_private=False))
    with pytest.raises(InvalidWebhookError, match=r"localhost: 127\.0\.0\.1 is a loopback"):
        webhooks.register(ALICE, "https://localhost/hook", ["invite.created"], at(0))


def test_the_embedded_default_refuses_private_addresses_and_plain_http() -> None:
    webhooks = doors(service(webhooks_allow_private=False))
    with pytest.raises(InvalidWebhookError, match="https://"):
        webhooks.register(ALICE, "http://example.com/hook", ["invite.created"], at(0))
    with pytest.raises(InvalidWebhookError, match="loopback"):
        webhooks.register(ALICE, "https://127.0.0.1/hook", ["invite.created"], at(0))


def test_the_aws_backend_never_allows_private_addresses() -> None:
    from entrypoints.container import webhooks_private

    assert webhooks_private(Settings(backend="aws", webhooks_allow_private=True)) is False
    assert webhooks_private(Settings(backend="embedded", webhooks_allow_private=True)) is True
    assert webhooks_private(Settings(backend="embedded")) is False


def test_an_address_that_turns_private_after_registration_is_refused_at_delivery() -> None:
    app = service()
    webhooks = doors(app)
    answers = {"hooks.example": ["93.184.215.14"]}
    webhooks.transport = transport = HttpWebhookTransport(resolve=lambda h, p: answers[h])
    webhooks.deliverer.transport = transport
    endpoint, _ = webhooks.register(ALICE, "https://hooks.example/in", ["invite.created"], at(-1))
    answers["hooks.example"] = ["169.254.169.254"]  # DNS rebinding to the metadata service
    deliver(app, request(), now=at(0))
    webhooks.run(at(1))
    (message,) = webhooks.deliveries(ALICE, endpoint.key).messages
    assert message.attempts[0].status_code is None
    assert "169.254.169.254 is a link-local address" in (message.attempts[0].error or "")


def test_connections_go_to_the_address_checked_not_a_fresh_lookup() -> None:
    # The name resolves (once, checked) to this machine's receiver; a second lookup would
    # fail: the delivery still reaches it, so nothing was resolved again.
    app = service()
    webhooks = doors(app)
    looked_up: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        if len(looked_up) > 2:  # registration, then the delivery's own check
            raise socket.gaierror("no such name now")
        return ["127.0.0.1"]

    transport = HttpWebhookTransport(allow_private=True, resolve=resolve)
    webhooks.transport = webhooks.deliverer.transport = transport
    with receiver() as hook:
        url = hook.url.replace("127.0.0.1", "receiver.test")
        _endpoint, secret = webhooks.register(ALICE, url, ["invite.created"], at(-1))
        hook.secrets.append(secret)
        deliver(app, request(), now=at(0))
        webhooks.run(at(1))
    assert len(hook.received) == 1
    assert hook.received[0].verified
    assert looked_up == ["receiver.test", "receiver.test"]


def test_a_message_naming_an_erased_person_is_never_sent() -> None:
    app = service()
    webhooks = doors(app)
    with receiver() as hook:
        endpoint, secret = webhooks.register(ALICE, hook.url, ["answer.recorded"], at(-10))
        hook.secrets.append(secret)
        deliver(app, request(), now=at(0))
        deliver(app, reply(BOB, "ACCEPTED"), now=at(30))
        webhooks.rounds.fan_out_new(at(31))  # recorded, not sent yet
        app.doors.privacy.erase(BOB, now=at(32))
        webhooks.run(at(33))
    assert hook.received == []
    (message,) = webhooks.deliveries(ALICE, endpoint.key).messages
    assert message.status == "abandoned"
    assert message.attempts[-1].error == "its content was erased"


def test_the_delivery_log_pages_newest_first_across_log_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from domain.webhooks import WebhookLogPage

    monkeypatch.setattr(WebhookLogPage, "SIZE", 3)  # small pages: the log spans several
    app = service()
    webhooks = doors(app)
    with receiver() as hook:
        endpoint, _ = webhooks.register(ALICE, hook.url, EVERYTHING, at(-10))
        for number in range(7):
            deliver(app, request(uid=f"meeting-{number}@example.com"), now=at(number))
            webhooks.rounds.fan_out_new(at(number))
    seen: list[str] = []
    cursor = None
    while True:
        page = webhooks.deliveries(ALICE, endpoint.key, limit=2, cursor=cursor)
        seen += [m.webhook_id for m in page.messages]
        assert len(page.messages) <= 2
        if page.cursor is None:
            break
        cursor = page.cursor
    everything = webhooks.deliveries(ALICE, endpoint.key, limit=200).messages
    assert len(everything) == 7
    assert seen == [m.webhook_id for m in everything]
    assert [m.created for m in everything] == sorted((m.created for m in everything), reverse=True)
