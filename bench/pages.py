"""The web app's pages at scale: render time at 100,000 attendees against 10, and against the
same data from the JSON API.

One SQLite data folder holds two invites of the same organizer, one sent to 10 recipients and
one to 100,000 (half of them answered), projected into the views. Through the whole FastAPI app
(in process, no network), each round times, alternating sides:
  - the invite page (details, history, charts, the first 50 attendees) and the same data from
    the JSON API (the invite, its statistics and its first 50 attendees: three requests);
  - a late attendee page (the invite page with a cursor near the end) and the JSON page there.
Targets: page at 100,000 attendees <= 1.5x at 10; page <= 2x the JSON API for the same data.
Usage: python -m bench.pages [--big N] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

from fastapi.testclient import TestClient

from application.projections.keys import Attendees
from application.projections.queries import encode_cursor
from bench.projections import invite_with_audience, project_directly
from bench.scratch import scratch
from domain.api_keys import Scope
from entrypoints.api.app import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings

ORGANIZER = "org0@example.com"  # who bench.projections' invites 0, 7, 14… belong to
SMALL, BIG = 7, 14


def seeded(folder: Path, big: int) -> tuple[Container, dict[str, UUID]]:
    """Return a container over a data folder holding the two invites and their audiences."""
    container = bootstrap(Settings(data_dir=folder, web_base_url="http://127.0.0.1:9"))
    store, views = container.store(), container.views()
    ids = {}
    for name, number, audience in (("10", SMALL, 10), (str(big), BIG, big)):
        # The invite's own stream is read by the page (its history); the audience only as views.
        store.save(next(invite_with_audience(number, 0)))
        ids[name] = project_directly(views, invite_with_audience(number, audience))
    return container, ids


def signed_in(container: Container, client: TestClient) -> None:
    """Give ``client`` the organizer's session cookie, as the sign-in link would."""
    now = datetime.now(UTC)
    link = container.sessions().link_for(ORGANIZER, now)
    client.post(urlsplit(link).path, follow_redirects=False)


def late_cursor(container: Container, invite: UUID) -> str:
    """Return the cursor of the last full page of 50 attendees."""
    rows = container.views().query(Attendees(str(invite)), descending=True, limit=51)
    return encode_cursor(rows[-1].sk)


def median_ms(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1e3


def fetch(client: TestClient, *paths: str, headers: dict[str, str] | None = None) -> None:
    for path in paths:
        answer = client.get(path, headers=headers or {})
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:200]}")


def main() -> None:
    """Seed, then time each page and its JSON equivalent, rounds alternating."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--big", type=int, default=100_000)
    options.add_argument("--rounds", type=int, default=30)
    args = options.parse_args()
    with tempfile.TemporaryDirectory(dir=scratch()) as tmp:
        container, ids = seeded(Path(tmp), args.big)
        client = TestClient(create_app(container, per_key_per_minute=10**9))
        signed_in(container, client)
        _, token = container.admin().keys.create(
            Scope.ORGANIZER, ORGANIZER, "bench", datetime.now(UTC)
        )
        key = {"Authorization": f"Bearer {token}"}
        medians: dict[tuple[str, str, str], float] = {}
        for size, invite in ids.items():
            late = late_cursor(container, invite)
            pages = f"/invites/{invite}"
            api = f"/v1/invites/{invite}"
            works: dict[tuple[str, str], Callable[[], None]] = {
                ("invite page", "page"): partial(fetch, client, pages),
                ("invite page", "json"): partial(
                    fetch,
                    client,
                    api,
                    f"{api}/statistics",
                    f"{api}/attendees?limit=50",
                    headers=key,
                ),
                ("late attendee page", "page"): partial(fetch, client, f"{pages}?cursor={late}"),
                ("late attendee page", "json"): partial(
                    fetch, client, f"{api}/attendees?limit=50&cursor={late}", headers=key
                ),
            }
            for work in works.values():
                work()  # warm: templates compiled, caches filled
            rounds: dict[tuple[str, str], list[float]] = {name: [] for name in works}
            for _ in range(args.rounds):
                for name, work in works.items():
                    rounds[name].append(median_ms(work, 1))
            for (what, side), times in rounds.items():
                medians[(what, side, size)] = statistics.median(times)
        small, big = "10", str(args.big)
        for what in ("invite page", "late attendee page"):
            page_small, page_big = medians[(what, "page", small)], medians[(what, "page", big)]
            json_big = medians[(what, "json", big)]
            print(
                f"{what:19} 10 attendees {page_small:7.2f} ms, {big} {page_big:7.2f} ms: "
                f"ratio {page_big / page_small:.2f}x (target <= 1.5x)"
            )
            print(
                f"{what:19} page {page_big:7.2f} ms vs JSON API {json_big:7.2f} ms at {big}: "
                f"ratio {page_big / json_big:.2f}x (target <= 2x) (medians of {args.rounds})"
            )


if __name__ == "__main__":
    main()
