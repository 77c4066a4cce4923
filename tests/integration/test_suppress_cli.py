"""``cis suppress add|remove|list`` on the embedded store: JSON lines, kept between runs."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner


def test_the_cli_adds_lists_and_removes(tmp_path: Path) -> None:
    from entrypoints.cli import app

    runner = CliRunner()
    env = {"CIS_DATA_DIR": str(tmp_path)}

    def run(*args: str) -> list[dict[str, object]]:
        result = runner.invoke(app, ["suppress", *args], env=env)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines() if line]

    (added,) = run("add", "Bob@Example.org", "--organizer", "alice@example.com")
    assert added["address"] == "bob@example.org"
    assert added["scope"] == "alice@example.com"
    assert added["reason"] == "admin"
    run("add", "carol@example.org", "--reason", "complaint")
    listed = run("list")
    assert [(row["address"], row["scope"]) for row in listed] == [
        ("bob@example.org", "alice@example.com"),
        ("carol@example.org", "all"),
    ]
    assert [row["address"] for row in run("list", "--organizer", "zed@example.com")] == [
        "carol@example.org"
    ]
    (removed,) = run("remove", "bob@example.org", "--organizer", "alice@example.com")
    assert removed == {"address": "bob@example.org", "scope": "alice@example.com", "lifted": True}
    assert [row["address"] for row in run("list")] == ["carol@example.org"]

    refused = runner.invoke(app, ["suppress", "add", "not an address"], env=env)
    assert refused.exit_code == 2
    wrong = runner.invoke(app, ["suppress", "add", "x@example.org", "--reason", "whim"], env=env)
    assert wrong.exit_code == 2
