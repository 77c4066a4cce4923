"""``make run`` restarted on its data: ``cis serve --demo`` prints the same invites and key,
and the demo invites get no new events."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.e2e.test_serve_logs import CLI, demo_server


def test_serve_demo_twice_prints_the_same_invites_and_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runs: list[tuple[dict[str, Any], list[int]]] = []
    for _ in range(2):
        with demo_server(data) as (server, _, printed):
            histories = [
                subprocess.run(
                    [*CLI, "history", invite, "--json"],
                    env=server.env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                for invite in printed["invites"]
            ]
            runs.append((printed, [len(json.loads(h)) for h in histories]))
    (first, first_events), (second, second_events) = runs
    assert len(first["invites"]) == 3
    assert second["invites"] == first["invites"]
    assert second["api_key"] == first["api_key"]
    assert second_events == first_events
