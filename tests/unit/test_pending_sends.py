"""The retry rounds of `cis serve` look only at the invites with news since the last round
(plus what the last round left pending), and at everything when something could have made
sends due across invites, on a process's first round, and once every `full_every`."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from dependency_injector import providers

from application.outbound.pending import PendingSends
from application.ports import Mailer, OutgoingMail, TemporaryDeliveryError
from application.send_types import Recipient, SendOutcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.driver import Driver
from tests.fakes import ORGANIZER, FakeParser, at, deliver, request

BOB, CAROL, DAVE = "bob@example.org", "carol@example.org", "dave@example.org"


class FlakyMail(Mailer):
    """Keeps mail, or refuses it for now while ``down``."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.down = False

    def send(self, mail: OutgoingMail) -> str:
        if self.down:
            raise TemporaryDeliveryError("relay down for now")
        self.sent.append(mail.recipient)
        return f"kept #{len(self.sent)}"


class Server:
    """A service with a flaky mailer, and its retry rounds' memory."""

    def __init__(self) -> None:
        self.mailer = FlakyMail()
        container = bootstrap(Settings(backend="memory", sender_policy="off"))
        container.parser.override(providers.Object(FakeParser()))
        container.mailer.override(providers.Object(self.mailer))
        self.service = Driver(container)
        self.outbound = self.service.doors.outbound
        self.pending: PendingSends = self.outbound.pending_sends()

    def invite(self, uid: str) -> UUID:
        created = deliver(self.service, request(uid=uid))
        assert created.invite is not None
        return created.invite

    def send(self, invite: UUID, address: str, minutes: int) -> SendOutcome:
        (result,) = self.service.send(str(invite), [Recipient(address)], now=at(minutes))
        return result.outcome

    def round(self, minutes: int) -> tuple[list[UUID] | None, list[str]]:
        """Run one retry round: what it looked at (None: everything) and who got mail."""
        results = self.outbound.retry_due(self.pending, now=at(minutes))
        assert self.pending.last is not None
        sent = [r.address for r in results if r.outcome is SendOutcome.SENT]
        return self.pending.last.invites, sent


def test_the_first_round_looks_at_everything_and_sends_what_an_earlier_process_left() -> None:
    server = Server()
    first = server.invite("a@example.com")
    server.mailer.down = True
    assert server.send(first, BOB, 1) is SendOutcome.QUEUED
    server.mailer.down = False
    assert server.round(2) == (None, [BOB])
    assert server.round(3) == ([first], [])  # the round's own sends are news, once
    assert server.round(4) == ([], [])  # nothing new, nothing left: nothing looked at


def test_later_rounds_look_only_at_invites_with_news_or_left_pending() -> None:
    server = Server()
    first, second = server.invite("a@example.com"), server.invite("b@example.com")
    assert server.send(first, BOB, 1) is SendOutcome.SENT
    assert server.round(2) == (None, [])
    server.mailer.down = True
    assert server.send(second, CAROL, 3) is SendOutcome.QUEUED
    assert server.round(4) == ([second], [])  # its news; still down, so left pending
    assert server.round(5) == ([second], [])  # no news, but left pending
    server.mailer.down = False
    assert server.round(6) == ([second], [CAROL])
    assert server.round(7) == ([second], [])  # its own send is news, once
    assert server.round(8) == ([], [])
    # An update of the first invite reaches its holder at once, and is news of that invite
    # only: the next round looks at it, finds nothing left, and at nothing else.
    deliver(
        server.service, request(uid="a@example.com", sequence=1, summary="Moved", dtstamp=at(9))
    )
    assert server.mailer.sent.count(BOB) == 2
    assert server.round(10) == ([first], [])


def test_a_lifted_suspension_or_an_hourly_round_looks_at_everything() -> None:
    server = Server()
    first = server.invite("a@example.com")
    assert server.send(first, BOB, 1) is SendOutcome.SENT
    server.round(2)
    registry = server.service.registry
    registry.suspend(ORGANIZER, "checking", now=at(3))
    assert server.round(4)[0] == []  # a suspension only keeps mail from going out
    registry.allow(ORGANIZER, now=at(5))
    assert server.round(6)[0] is None
    assert server.round(7)[0] == []
    assert server.round(7 + int(server.pending.full_every / timedelta(minutes=1)))[0] is None


def test_a_kept_notice_is_retried_when_it_changes_or_was_left_pending() -> None:
    server = Server()
    server.invite("a@example.com")
    assert server.round(1)[0] is None
    due = server.pending.due(at(2))
    assert (due.invites, due.notices) == ([], False)
    server.pending.notices_unsettled = True
    assert server.pending.due(at(3)).notices
    assert DAVE  # (notices kept for a retry are covered by tests/unit/test_notices.py)
