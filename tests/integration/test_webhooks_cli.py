"""``cis webhooks`` on the embedded store: add (the secret once), list, run, deliveries,
send-again, rotate, disable, enable, remove; kept between runs."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.invite_mail import ALICE, calendar, email_of
from tests.webhook_receiver import receiver


def test_the_cli_manages_endpoints_and_reads_their_delivery_log(tmp_path: Path) -> None:
    from entrypoints.cli import app

    runner = CliRunner()
    env = {
        "CIS_DATA_DIR": str(tmp_path),
        "CIS_WEBHOOKS_ALLOW_PRIVATE": "true",
        "CIS_MAIL_DOMAIN": "invites.example",
        "CIS_SENDER_POLICY": "off",
    }

    def run(*args: str) -> list[dict[str, object]]:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]

    with receiver() as hook:
        (added,) = run("webhooks", "add", hook.url, "--organizer", ALICE, "-e", "all", "--json")
        secret, endpoint = str(added["secret"]), str(added["id"])
        hook.secrets.append(secret)
        assert secret.startswith("whsec_")
        (listed,) = run("webhooks", "list", "--json")
        assert listed["id"] == endpoint
        assert "secret" not in listed
        assert secret not in json.dumps(listed)

        mail = tmp_path / "invite.eml"
        mail.write_bytes(email_of(calendar(), ALICE))
        run("ingest", "--to", "create@invites.example", str(mail))
        (done,) = run("webhooks", "run")
        assert done == {"recorded": 1, "attempted": 1, "delivered": 1}
        (logged,) = run("webhooks", "deliveries", endpoint, "--json")
        assert logged["event_type"] == "invite.created"
        assert logged["status"] == "delivered"
        run("webhooks", "send-again", endpoint, str(logged["webhook_id"]))
        run("webhooks", "run")
        assert hook.counts[str(logged["webhook_id"])] == 2
        assert all(r.verified for r in hook.received)

    rotated = runner.invoke(app, ["webhooks", "rotate", endpoint], env=env)
    assert rotated.exit_code == 0
    assert rotated.stdout.strip().startswith("whsec_")
    assert rotated.stdout.strip() != secret
    run("webhooks", "disable", endpoint)
    assert run("webhooks", "list", "--json")[0]["enabled"] is False
    run("webhooks", "enable", endpoint)
    assert run("webhooks", "list", "--json")[0]["enabled"] is True
    run("webhooks", "remove", endpoint)
    assert run("webhooks", "list", "--json") == []
    missing = runner.invoke(app, ["webhooks", "rotate", endpoint], env=env)
    assert missing.exit_code == 2
    refused = runner.invoke(
        app,
        ["webhooks", "add", "http://127.0.0.1/x", "--admin", "-e", "invite.created"],
        env={**env, "CIS_WEBHOOKS_ALLOW_PRIVATE": "false"},
    )
    assert refused.exit_code == 2
