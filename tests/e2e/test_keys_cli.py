"""``cis keys`` as an operator runs it: real processes, a real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import cis, lines


def test_create_prints_a_token_once_that_list_never_shows(tmp_path: Path) -> None:
    created = cis(tmp_path, "keys", "create", "--organizer", "Ann@Example.com", "--label", "[b]ann")

    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    prefix, key_id, secret = token.split("_", 2)
    assert (prefix, len(key_id), len(secret)) == ("cis", 8, 43)
    assert "will not be shown again" in created.stderr
    listed = cis(tmp_path, "keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert lines(listed) == [
        {
            "key_id": key_id,
            "kind": "organizer",
            "subject": "ann@example.com",
            "label": "[b]ann",
            "status": "active",
            "created": lines(listed)[0]["created"],
            "revoked": None,
            "revocation_reason": None,
        }
    ]
    table = cis(tmp_path, "keys", "list")
    assert table.returncode == 0, table.stderr
    assert key_id in table.stdout
    assert "[b]ann" in table.stdout
    assert secret not in listed.stdout + table.stdout


def test_create_json_carries_the_token_and_the_key(tmp_path: Path) -> None:
    created = cis(tmp_path, "keys", "create", "--domain", "Example.COM", "--json")

    assert created.returncode == 0, created.stderr
    shown = json.loads(created.stdout)
    assert (shown["kind"], shown["subject"], shown["status"]) == ("domain", "example.com", "active")
    assert shown["token"].startswith(f"cis_{shown['key_id']}_")


def test_revoke_marks_the_key_revoked_with_its_reason(tmp_path: Path) -> None:
    token = cis(tmp_path, "keys", "create", "--admin").stdout.strip()
    key_id = token.split("_")[1]

    revoked = cis(tmp_path, "keys", "revoke", key_id, "--reason", "leaked")

    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["status"] == "revoked"
    [listed] = lines(cis(tmp_path, "keys", "list", "--json"))
    assert (listed["status"], listed["revocation_reason"]) == ("revoked", "leaked")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--organizer", "not-an-address"], "not an organizer address"),
        (["create", "--domain", "localhost"], "not a domain name"),
        (["create"], "exactly one of"),
        (["create", "--admin", "--domain", "example.com"], "exactly one of"),
        (["revoke", "aaaaaaaa"], "no API key"),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path: Path, args: list[str], message: str) -> None:
    result = cis(tmp_path, "keys", *args)

    assert result.returncode == 2
    assert message in result.stderr
    assert lines(cis(tmp_path, "keys", "list", "--json")) == []
