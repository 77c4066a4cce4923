"""A DSN mailed back to bounces+TOKEN@ suppresses the address server-wide, and the SMTP drop
box takes mail for the unsubscribe mailbox (List-Unsubscribe's mailto:)."""

from __future__ import annotations

from pathlib import Path

from adapters.mail.dropbox import DropBox
from application.inbound.routing import Mailboxes
from application.send_types import Recipient, SendOutcome
from domain.outcomes import Outcome
from entrypoints.container import bootstrap
from entrypoints.settings import Settings
from tests.conftest import CORPUS
from tests.corpus_mail import from_organizer
from tests.driver import driver
from tests.integration.test_bounces import NOW, bounce_address, dsn


def test_a_mailed_hard_bounce_suppresses_server_wide(tmp_path: Path) -> None:
    service = driver(bootstrap(Settings(data_dir=tmp_path)))
    invite = from_organizer(
        service, (CORPUS / "update/gcal-selfsent-seq0.ics").read_bytes(), now=NOW
    )
    ref = str(invite.invite)
    service.send(ref, [Recipient("bob@example.org")], now=NOW)
    verp = bounce_address(tmp_path / "outbox", "bob@example.org")
    assert service.ingest(dsn("bob@example.org"), now=NOW, envelope_to=verp).outcome is (
        Outcome.BOUNCED
    )
    suppressions = service.doors.outbound.suppressions
    assert suppressions.is_suppressed("bob@example.org", "other@example.net") == "hard-bounce"
    (again,) = service.send(ref, [Recipient("bob@example.org", origin="bulk")], now=NOW)
    assert again.outcome is SendOutcome.SUPPRESSED


def test_the_drop_box_takes_the_unsubscribe_mailbox() -> None:
    box = DropBox(lambda *_, **__: None, domain="invites.example", mailboxes=Mailboxes())
    assert box.accepts("unsubscribe+abcdefgh234567@invites.example")
    assert box.accepts("UNSUBSCRIBE+abc@INVITES.example")
    assert not box.accepts("unsubscribe+abc@elsewhere.example")
