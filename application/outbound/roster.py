"""An invite's recipient roster, in pages that fill in order."""

from __future__ import annotations

from datetime import datetime

from application.stores import Loader
from domain.distribution import Distribution
from domain.roster import PAGE_SIZE, RosterPage, roster_page_id


def add_to_roster(
    load: Loader,
    distribution: Distribution,
    token: str,
    pages: dict[int, RosterPage],
    now: datetime,
) -> None:
    """Add a recipient to the invite's roster; ``pages`` collects the pages to save."""
    # Pages fill in order; only opening a new page touches the distribution stream.
    number = distribution.pages - 1
    page = pages.get(number) or load(RosterPage, roster_page_id(distribution.invite, number))
    page = page or RosterPage(invite=distribution.invite, page=number, timestamp=now)
    if page.full:
        distribution.open_page(timestamp=now)
        number += 1
        page = RosterPage(invite=distribution.invite, page=number, timestamp=now)
    page.add(token=token, timestamp=now)
    pages[number] = page


def roster_size(load: Loader, distribution: Distribution, pages: dict[int, RosterPage]) -> int:
    """Return how many recipients the invite has, counting pages not saved yet."""
    last = distribution.pages - 1
    page = pages.get(last) or load(RosterPage, roster_page_id(distribution.invite, last))
    return last * PAGE_SIZE + (len(page.tokens) if page else 0)
