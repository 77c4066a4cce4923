"""``cis serve``'s server delivers webhooks by itself: an invite mailed to its SMTP drop box
reaches a registered endpoint, signed, through the background work's webhook thread."""

from __future__ import annotations

import smtplib
import time
from datetime import UTC, datetime
from pathlib import Path

from application.vocabulary import Principal, Scope
from entrypoints.container import bootstrap
from entrypoints.server import LocalServer
from entrypoints.settings import Settings
from tests.invite_mail import ALICE, calendar, email_of
from tests.webhook_receiver import receiver

DOMAIN = "invites.example"
PATIENCE = 15.0


def test_the_local_server_delivers_what_arrives_by_mail(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        mail_domain=DOMAIN,
        parse_budget=0,
        sender_policy="off",
        webhooks_allow_private=True,
    )
    container = bootstrap(settings)
    owner = Principal(Scope.ORGANIZER, ALICE, "test")
    with receiver() as hook:
        endpoint, secret = container.webhooks().register(
            owner, hook.url, ["invite.created"], datetime.now(UTC)
        )
        hook.secrets.append(secret)
        local = LocalServer(container, http_port=0, smtp_port=0, webhook_interval=0.05)
        where = local.start()
        try:
            with smtplib.SMTP(*where.smtp, timeout=PATIENCE) as client:
                wire = email_of(calendar(), ALICE)
                assert client.sendmail(ALICE, [f"create@{DOMAIN}"], wire) == {}
            deadline = time.monotonic() + PATIENCE
            while not hook.received and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            local.stop()
    (received,) = hook.received
    assert received.verified
    assert received.payload["type"] == "invite.created"
    assert received.payload["data"]["organizer"] == ALICE
    (logged,) = container.webhooks().deliveries(owner, endpoint.key).messages
    assert logged.status == "delivered"
