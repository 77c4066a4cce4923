"""Bulk rendering: personalized invites per second, as a ratio to a naive build in the same run.

One realistic version (Europe/Berlin with its VTIMEZONE, a weekly RRULE, two overrides, a
300-character description) for 10,000 recipients. Rounds alternate so machine noise hits both
alike: the renderer over every recipient (each message consumed), and the naive build over a
subset, scaled per message (tests/render_reference.py: icalendar + email package, one whole
build per recipient, templates included). Before timing, a sample of the renderer's emails is
checked to say what the naive build says. No files are written.
With --links, every recipient's mail carries signed web RSVP links (CIS_WEB_BASE_URL set),
in both the renderer and the naive build.
Usage: python -m bench.render [--recipients N] [--naive N] [--rounds N] [--links]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from adapters.outbound import IcalendarInviteRenderer
from domain.outbound import Addressee, OutboundInstance, OutboundInvite, message_id, server_uid
from domain.reply_tokens import reply_token
from domain.values import EventDetails, Method
from domain.web_links import LinkClaim, link_expiry, sign_link
from tests.render_reference import reference_mail, semantics

DOMAIN = "cis.example"
SENDER = "invites@cis.example"
NOW = datetime(2026, 1, 12, 8, 30, tzinfo=UTC)
INVITE = UUID("6f1c2b9e-3d4a-4e8f-9a1b-2c3d4e5f6a7b")
NAMES = ("Ana García", "Björn Åström", "Chloé Dubois", "Dmitri Ivanov", "Emeka Obi", "李雷", None)


def realistic_invite() -> OutboundInvite:
    """Return a weekly zoned meeting with two overrides and a 300-character description."""
    description = (
        "Weekly planning for the platform team. Bring the numbers from last week, the "
        "incidents you worked on, and one thing you would change. Dial-in: +49 30 1234 5678, "
        "PIN 4242#. Notes go to the shared doc; please add agenda items by Monday 09:00 so we "
        "can keep this to an hour. Thanks! — Alice"
    )[:300]
    master = EventDetails(
        summary="Platform planning — weekly",
        description=description,
        location="Room Spree 3.14, Berlin HQ",
        start="2026-01-19T10:00:00+01:00",
        end="2026-01-19T11:00:00+01:00",
        timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231T230000Z",
        exdates=("2026-02-16T09:00:00+00:00",),
    )
    moved = OutboundInstance(
        "2026-01-26T09:00:00+00:00",
        EventDetails(
            summary="Platform planning — weekly (moved to the afternoon)",
            description=description,
            location="Room Spree 3.14, Berlin HQ",
            start="2026-01-26T15:00:00+01:00",
            end="2026-01-26T16:00:00+01:00",
            timezone="Europe/Berlin",
        ),
    )
    dropped = OutboundInstance("2026-03-02T09:00:00+00:00", EventDetails(), cancelled=True)
    return OutboundInvite(
        invite=INVITE,
        uid=server_uid(INVITE, DOMAIN),
        method=Method.REQUEST,
        sequence=3,
        organizer_name="Alice Schmidt",
        details=master,
        instances=(moved, dropped),
    )


def audience(size: int) -> list[Addressee]:
    """Return ``size`` recipients with names (some non-ASCII, some none)."""
    people = []
    for n in range(size):
        address = f"person{n}@example.com"
        name = NAMES[n % len(NAMES)]
        people.append(
            Addressee(
                address=address,
                name=None if name is None else f"{name} {n}",
                reply_address=f"reply+{n:05d}@{DOMAIN}",
                message_id=message_id(INVITE, address, 3, DOMAIN),
            )
        )
    return people


WEB = "https://invites.example.com"


def with_links(people: list[Addressee]) -> list[Addressee]:
    """Return the recipients each with a signed RSVP-link token, as the sender makes them."""
    secret = os.urandom(32)
    expires = link_expiry(NOW, None)

    def token(person: Addressee) -> str:
        reply = reply_token(secret, INVITE, person.address)
        return sign_link(secret, LinkClaim(INVITE, reply, 3, expires))

    return [replace(person, rsvp_token=token(person)) for person in people]


def timed(work: Callable[[], None]) -> float:
    """Return the wall-clock seconds ``work`` took."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and print medians and the ratio."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--recipients", type=int, default=10_000)
    options.add_argument("--naive", type=int, default=500)
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--links", action="store_true", help="put web RSVP links in the mail")
    args = options.parse_args()
    web = WEB if args.links else None
    invite, people = realistic_invite(), audience(args.recipients)
    if args.links:
        people = with_links(people)
    subset = people[: args.naive]
    renderer = IcalendarInviteRenderer(web_base_url=web)

    def fast() -> None:
        for _ in renderer.render(invite, people, sender=SENDER, now=NOW):
            pass

    def naive() -> None:
        for person in subset:
            reference_mail(invite, person, sender=SENDER, now=NOW, web_base_url=web)

    sample = list(renderer.render(invite, people[:20], sender=SENDER, now=NOW))
    for mail, person in zip(sample, people, strict=False):
        reference = reference_mail(invite, person, sender=SENDER, now=NOW, web_base_url=web)
        assert semantics(mail.data) == semantics(reference), person
    size = len(sample[0].data)
    fast_rates, naive_rates = [], []
    for _ in range(args.rounds):
        fast_rates.append(len(people) / timed(fast))
        naive_rates.append(len(subset) / timed(naive))
    fast_rate, naive_rate = statistics.median(fast_rates), statistics.median(naive_rates)
    print(
        f"render: {len(people)} recipients (naive: {len(subset)}), {size} bytes each"
        f"{', web RSVP links' if args.links else ''};"
        f" {args.rounds} rounds, medians"
    )
    print(f"  renderer (once per version)  {fast_rate:9.0f} invites/s  {1e6 / fast_rate:7.1f} us")
    print(f"  naive icalendar + email      {naive_rate:9.0f} invites/s  {1e6 / naive_rate:7.1f} us")
    ratio = statistics.median(f / n for f, n in zip(fast_rates, naive_rates, strict=True))
    print(f"ratio (median of per-round ratios; target >= 50x): {ratio:.0f}x")


if __name__ == "__main__":
    main()
