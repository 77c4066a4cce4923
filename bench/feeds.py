"""A subscription feed of 1,000 events against the same events from the JSON API listing.

One SQLite data folder holds 1,000 upcoming invites of one organizer (in three time zones),
projected into the views. Through the whole FastAPI app (in process, no network), each round
times, alternating sides:
  - the JSON API: the organizer's upcoming invites, 1,000 in pages of 200 (five requests);
  - the feed unchanged since the last read (what every subscriber's hourly poll is);
  - the feed after one of its invites changed (one event rendered again);
  - the feed cold: nothing rendered yet (after a restart), every event rendered.
Targets: unchanged feed <= 2x the JSON listing; after one change <= 2x; cold reported
(icalendar writes every VEVENT once: paid once per version, not per read), target <= 15x.
Usage: python -m bench.feeds [--events N] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from bench.scratch import scratch
from domain.api_keys import Scope
from domain.invite import Invite
from domain.messages import ItipMessage
from domain.values import Component, EventDetails, Method
from entrypoints.api.app import create_app
from entrypoints.container import Container, bootstrap
from entrypoints.settings import Settings
from entrypoints.web_paths import feed_urls

ORGANIZER = "ann@example.org"
BASE = "http://127.0.0.1:9"
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo")
_SAVE_BATCH = 100


def version(number: int, sequence: int, title: str) -> ItipMessage:
    """Return the organizer's REQUEST of event ``number``: a weekday hour over coming years."""
    zone = ZONES[number % len(ZONES)]
    day = datetime(2027, 1, 4) + timedelta(days=number)
    start = day.replace(hour=9 + number % 8).isoformat()
    end = day.replace(hour=10 + number % 8).isoformat()
    details = EventDetails(
        summary=f"{title} {number}",
        description="Agenda: the budget, the new office, anything else.",
        location="Room 4, 28 Boulevard des Capucines",
        start=start,
        end=end,
        timezone=zone,
        status="CONFIRMED",
    )
    stamp = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=sequence)
    return ItipMessage(
        Method.REQUEST,
        f"bench-feed-{number}@example.org",
        (Component(sequence, stamp, details=details),),
        organizer=ORGANIZER,
        organizer_name="Ann Organizer",
    )


def seeded(folder: Path, events: int) -> tuple[Container, list[Invite]]:
    """Return a container over a data folder holding the organizer's invites, projected."""
    container = bootstrap(Settings(data_dir=folder, web_base_url=BASE))
    store = container.store()
    now = datetime.now(UTC)
    invites = []
    for number in range(events):
        message = version(number, 0, "Meeting")
        invite = Invite(
            organizer=ORGANIZER, organizer_name="Ann Organizer", uid=message.uid, timestamp=now
        )
        invite.receive(message, now)
        invites.append(invite)
    for first in range(0, len(invites), _SAVE_BATCH):
        store.save(*invites[first : first + _SAVE_BATCH])
    container.projections().run()
    return container, invites


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1e3


def timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def main() -> None:
    """Seed, then time the feed and the JSON listing, rounds alternating."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--events", type=int, default=1000)
    options.add_argument("--rounds", type=int, default=9)
    args = options.parse_args()
    with tempfile.TemporaryDirectory(dir=scratch()) as tmp:
        container, invites = seeded(Path(tmp), args.events)
        client = TestClient(create_app(container, per_key_per_minute=10**9))
        feeds = container.front_doors().feeds
        link = feeds.link("organizer", ORGANIZER)
        url, _ = feed_urls(BASE, link.kind, link.subject, link.signature)
        parts = urlsplit(url)
        feed_path = f"{parts.path}?{parts.query}"
        _, token = container.admin().keys.create(
            Scope.ORGANIZER, ORGANIZER, "bench", datetime.now(UTC)
        )
        key = {"Authorization": f"Bearer {token}"}

        def listing() -> None:
            cursor, count = "", 0
            while True:
                query = f"organizer={ORGANIZER}&limit=200" + (f"&cursor={cursor}" if cursor else "")
                answer = client.get(f"/v1/upcoming?{query}", headers=key)
                if answer.status_code != 200:
                    raise SystemExit(f"listing: {answer.status_code} {answer.text[:200]}")
                page = answer.json()
                count += len(page["items"])
                cursor = page.get("next_cursor") or page.get("cursor") or ""
                if not cursor:
                    break
            if count != args.events:
                raise SystemExit(f"the listing has {count} events, not {args.events}")

        def feed() -> None:
            answer = client.get(feed_path)
            if answer.status_code != 200:
                raise SystemExit(f"feed: {answer.status_code} {answer.text[:200]}")
            if answer.content.count(b"BEGIN:VEVENT") != args.events:
                raise SystemExit("the feed does not have every event")

        changes = iter(range(1, 10**6))

        def change_one() -> None:
            sequence = next(changes)
            invite = invites[sequence % len(invites)]
            number = sequence % len(invites)
            invite.receive(version(number, sequence, "Moved"), datetime.now(UTC))
            container.store().save(invite)
            container.projections().run()

        listing()
        feed()  # warm: the app's routes and templates, the zone tables
        rounds: dict[str, list[float]] = {"json": [], "unchanged": [], "changed": [], "cold": []}
        for _ in range(args.rounds):
            rounds["json"].append(timed(listing))
            rounds["unchanged"].append(timed(feed))
            change_one()
            rounds["changed"].append(timed(feed))
            feeds.forget_rendered()
            rounds["cold"].append(timed(feed))
        json_ms = median_ms(rounds["json"])
        print(
            f"{args.events} events: JSON API listing (5 pages of 200) {json_ms:8.1f} ms "
            f"(median of {args.rounds})"
        )
        for name, target in (("unchanged", 2), ("changed", 2), ("cold", 15)):
            feed_ms = median_ms(rounds[name])
            what = {
                "unchanged": "feed, unchanged",
                "changed": "feed, one event changed",
                "cold": "feed, cold (all rendered)",
            }[name]
            print(
                f"{what:27} {feed_ms:8.1f} ms vs JSON {json_ms:8.1f} ms: "
                f"ratio {feed_ms / json_ms:5.2f}x (target <= {target}x)"
            )


if __name__ == "__main__":
    main()
